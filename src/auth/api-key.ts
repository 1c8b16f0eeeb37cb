import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../db/client.js";
import type { ScopedPrisma } from "./tenant-scope.js";
import type { KeyCache, KeyRow } from "./key-cache.js";
import { Forbidden, Unauthenticated } from "../errors.js";

export const SCOPES = ["read", "write", "admin"] as const;
export type ScopeName = (typeof SCOPES)[number];

/** Who is calling: the workspace every database access is scoped to, and what the key may do. */
export interface Caller {
  workspaceId: string;
  apiKeyId: string;
  scopes: ReadonlySet<ScopeName>;
  /** Buckets the key may read and write; null means all of them. */
  buckets: readonly string[] | null;
  /** Through what the caller writes ("graphql", "rest:<dialect>", "import", "cli"): its changes say so. */
  source: string;
  /** The request its changes are recorded with. */
  requestId?: string;
}

const SECRET_PREFIX = "pgk_";

/** 256 random bits; shown once, never stored. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** `admin` implies `write` implies `read`: stored scopes are always the closure. */
export function impliedScopes(scopes: Iterable<ScopeName>): ScopeName[] {
  const granted = new Set(scopes);
  const rank = Math.max(-1, ...[...granted].map((s) => SCOPES.indexOf(s)));
  return SCOPES.slice(0, rank + 1);
}

export function secretFromHeaders(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  return headers.get("x-api-key")?.trim() || undefined;
}

// Writing last_used_at on every request would turn each read into a write; once a minute is enough.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The caller of a request, by its key: from `cache` while the key's entry is fresh (see
 * key-cache.ts for when a revoked key stops working), else looked up by its secret's hash.
 */
export async function authenticate(db: Database, headers: Headers, cache?: KeyCache): Promise<Caller> {
  const secret = secretFromHeaders(headers);
  if (!secret) throw new Unauthenticated();
  const secretHash = hashSecret(secret);
  let key = cache?.get(secretHash);
  if (!key) {
    [key] = await db.query<KeyRow>(
      `SELECT id, workspace_id AS "workspaceId", secret_hash AS "secretHash", scopes, buckets_restricted AS "bucketsRestricted",
              buckets, last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
       FROM api_key WHERE secret_hash = $1`,
      [secretHash],
    );
    if (key && !key.revokedAt) cache?.set(secretHash, key);
  }
  // The index finds the row by hash; comparing again in constant time keeps the check itself
  // free of timing differences whatever the index does.
  if (
    !key ||
    key.revokedAt ||
    !timingSafeEqual(Buffer.from(key.secretHash, "hex"), Buffer.from(secretHash, "hex"))
  ) {
    throw new Unauthenticated();
  }
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    key.lastUsedAt = new Date();
    void db.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return {
    workspaceId: key.workspaceId,
    apiKeyId: key.id,
    scopes: new Set(key.scopes as ScopeName[]),
    buckets: key.bucketsRestricted ? key.buckets : null,
    source: "graphql",
  };
}

/** Whether a key authenticated earlier still works (a long-lived subscription asks now and then). */
export async function keyStillValid(db: { $queryRaw: ScopedPrisma["$queryRaw"] }, apiKeyId: string): Promise<boolean> {
  const [key] = await db.$queryRaw<{ revoked: boolean }[]>`SELECT revoked_at IS NOT NULL AS revoked FROM api_key WHERE id = ${apiKeyId}::uuid`;
  return key !== undefined && !key.revoked;
}

export function mayUseBucket(caller: Caller, bucket: string): boolean {
  return caller.buckets === null || caller.buckets.includes(bucket);
}

/**
 * The one check of a key's buckets, for every read, write, filter or sort that names a bucket.
 * It comes before any look-up, so a key limited to a list learns nothing about the buckets
 * outside it, not even whether they exist.
 */
export function assertBucketAccess(caller: Caller, bucket: string): void {
  if (!mayUseBucket(caller, bucket)) throw new Forbidden(`This API key may not use the attribute bucket "${bucket}".`);
}
