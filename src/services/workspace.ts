import { generateSecret, hashSecret, impliedScopes, mayUseBucket, type Caller, type ScopeName } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { FieldErrors, Forbidden, NotFound } from "../errors.js";
import type { ApiKey, PrismaClient, Workspace } from "../generated/prisma/client.js";
import { inTransaction } from "../db/transaction.js";
import { DEFAULT_BUCKET } from "./attributes.js";
import type { RequestScope } from "./scope.js";
import { isUuid } from "./validate.js";

export interface NewApiKey {
  name: string;
  scopes: ScopeName[];
  buckets?: string[] | null;
}

function checkKey(input: NewApiKey): FieldErrors {
  const errors = new FieldErrors();
  if (!input.name.trim() || input.name.length > 255) errors.add(["input", "name"], "A name has 1 to 255 characters.");
  if (input.scopes.length === 0) errors.add(["input", "scopes"], "Give at least one scope.");
  return errors;
}

function keyData(input: NewApiKey, secret: string) {
  return {
    name: input.name.trim(),
    secretHash: hashSecret(secret),
    scopes: impliedScopes(input.scopes),
    bucketsRestricted: input.buckets != null,
    buckets: input.buckets ? [...new Set(input.buckets)] : [],
  };
}

/**
 * A key never grants more than the key that creates it: no scope it lacks, and, when it is
 * limited to buckets, only some of those (so omitting the list, which means all, is refused too).
 */
function assertWithinCreator(creator: Caller, input: NewApiKey): void {
  const beyond = impliedScopes(input.scopes).filter((scope) => !creator.scopes.has(scope));
  if (beyond.length > 0) throw new Forbidden(`This API key cannot grant the scopes ${beyond.join(", ")}.`);
  if (creator.buckets === null) return;
  if (input.buckets == null) throw new Forbidden("This API key is limited to some buckets: list the buckets the new key may use.");
  const outside = input.buckets.filter((bucket) => !mayUseBucket(creator, bucket));
  if (outside.length > 0) throw new Forbidden(`This API key cannot grant the attribute buckets ${outside.join(", ")}.`);
}

/**
 * Creates a key; the secret is returned here once and only its hash is kept. `creator` is the
 * calling key, absent for the command line.
 */
export async function createApiKey(
  db: ScopedPrisma | PrismaClient,
  workspaceId: string,
  input: NewApiKey,
  creator?: Caller,
): Promise<{ apiKey: ApiKey; secret: string }> {
  const errors = checkKey(input);
  errors.throwIfAny();
  if (creator) assertWithinCreator(creator, input);
  const secret = generateSecret();
  const data = { workspaceId, ...keyData(input, secret) };
  const apiKey = await (creator ? inTransaction(db as ScopedPrisma, creator, (tx) => tx.apiKey.create({ data })) : db.apiKey.create({ data }));
  return { apiKey, secret };
}

/** Keys of a workspace, newest first; revoked ones only when asked for. Never a secret or its hash. */
export function listApiKeys(db: ScopedPrisma | PrismaClient, workspaceId: string, includeRevoked: boolean): Promise<ApiKey[]> {
  return db.apiKey.findMany({
    where: { workspaceId, ...(includeRevoked ? {} : { revokedAt: null }) },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
  });
}

/**
 * A new secret for the same name, scopes and buckets, in one transaction with the revocation of
 * the old key: from the next request on only the new secret works.
 */
export async function rotateApiKey(db: ScopedPrisma, id: string, rotator: Caller): Promise<{ apiKey: ApiKey; secret: string }> {
  return inTransaction(db, rotator, async (tx) => {
    const key = isUuid(id) ? await tx.apiKey.findUnique({ where: { id } }) : null;
    if (!key || key.revokedAt) throw new NotFound("API key");
    const same: NewApiKey = { name: key.name, scopes: key.scopes as ScopeName[], buckets: key.bucketsRestricted ? key.buckets : null };
    assertWithinCreator(rotator, same);
    await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    const secret = generateSecret();
    const apiKey = await tx.apiKey.create({ data: { workspaceId: key.workspaceId, ...keyData(same, secret) } });
    return { apiKey, secret };
  });
}

export async function revokeApiKey(db: ScopedPrisma, caller: Caller, id: string): Promise<ApiKey> {
  const key = isUuid(id) ? await db.apiKey.findUnique({ where: { id } }) : null;
  if (!key) throw new NotFound("API key");
  if (key.revokedAt) return key;
  return inTransaction(db, caller, (tx) => tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } }));
}

/** A new tenant with its `default` attribute bucket and an admin key. */
export async function createWorkspace(
  prisma: PrismaClient,
  name: string,
): Promise<{ workspace: Workspace; apiKey: ApiKey; secret: string }> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 255) throw new Error("A workspace name has 1 to 255 characters.");
  return prisma.$transaction(async (tx) => {
    const workspace = await tx.workspace.create({ data: { name: trimmed } });
    await tx.attributeBucket.create({
      data: { workspaceId: workspace.id, name: DEFAULT_BUCKET, description: "Every workspace's bucket." },
    });
    const { apiKey, secret } = await createApiKey(tx as PrismaClient, workspace.id, { name: "admin", scopes: ["admin"] });
    return { workspace, apiKey, secret };
  });
}

/** API keys for one request; the calling key is the creator a new key may not exceed. */
export function apiKeyService({ db, caller, events }: RequestScope) {
  /** After the write committed: every instance forgets the old key from its cache. */
  const forgotten = async <T>(id: string, write: Promise<T>): Promise<T> => {
    const result = await write;
    events.keyRevoked(id);
    return result;
  };
  return {
    create: (input: NewApiKey) => createApiKey(db, caller.workspaceId, input, caller),
    revoke: (id: string) => forgotten(id, revokeApiKey(db, caller, id)),
    rotate: (id: string) => forgotten(id, rotateApiKey(db, id, caller)),
    list: (includeRevoked: boolean) => listApiKeys(db, caller.workspaceId, includeRevoked),
    /** The key of the request. */
    callingKey: () => db.apiKey.findUniqueOrThrow({ where: { id: caller.apiKeyId } }),
    /** The caller's workspace. */
    workspace: () => db.workspace.findUniqueOrThrow({ where: { id: caller.workspaceId } }),
  };
}
