import type { Caller } from "../auth/api-key.js";
import { assertBucketAccess, mayUseBucket } from "../auth/api-key.js";
import { inTransaction, type SqlTx } from "../db/transaction.js";
import { Conflict, FieldErrors, InvalidInput, NotFound } from "../errors.js";
import type { AttributeBucket } from "../generated/prisma/client.js";
import { bucketNamed, ensureBucket } from "../stores/attribute-writes.js";
import type { RequestScope } from "./scope.js";
import { isStorableText } from "./validate.js";

export const ATTRIBUTE_LIMITS = { keyBytes: 70, valueBytes: 64 * 1024 };
export const DEFAULT_BUCKET = "default";

/**
 * Checks an attribute patch: keys of 1–70 UTF-8 bytes, values of at most 64 KiB serialised.
 * Returns the keys to set and the keys to remove (those set to null).
 */
export function checkAttributePatch(
  patch: Record<string, unknown>,
  path: string[],
  errors: FieldErrors,
): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes < 1 || bytes > ATTRIBUTE_LIMITS.keyBytes || !isStorableText(key)) {
      errors.add([...path, key], `An attribute key must have 1 to ${ATTRIBUTE_LIMITS.keyBytes} bytes of text.`);
      continue;
    }
    if (value === null) {
      remove.push(key);
      continue;
    }
    const serialised = JSON.stringify(value);
    if (Buffer.byteLength(serialised, "utf8") > ATTRIBUTE_LIMITS.valueBytes) {
      errors.add([...path, key], `An attribute value may have at most ${ATTRIBUTE_LIMITS.valueBytes} bytes of JSON.`);
    } else if (serialised.includes("\\u0000")) {
      errors.add([...path, key], "An attribute value cannot contain NUL characters.");
    } else {
      set[key] = value;
    }
  }
  return { set, remove };
}

/** An attribute patch from an input where omitted means untouched and null is refused. */
export function optionalAttributePatch(
  patch: Record<string, unknown> | null | undefined,
  path: string[],
  errors: FieldErrors,
): ReturnType<typeof checkAttributePatch> | undefined {
  if (patch === undefined) return undefined;
  if (patch === null) {
    errors.add(path, "Attributes cannot be null; send {} instead.");
    return undefined;
  }
  return checkAttributePatch(patch, path, errors);
}

/** The bucket by name, if it exists in the caller's workspace and the caller's key may use it. */
export async function usableBucket(tx: SqlTx, caller: Caller, name: string): Promise<AttributeBucket> {
  assertBucketAccess(caller, name);
  const bucket = await bucketNamed(tx, caller.workspaceId, name);
  if (!bucket) throw new NotFound(`Attribute bucket "${name}"`);
  return bucket;
}

const BUCKET_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** Attribute buckets for one request: every read and write checks the key's buckets first. */
export function bucketService({ db, caller, loaders }: RequestScope) {
  return {
    /** The buckets the caller's key may read. */
    async list(): Promise<AttributeBucket[]> {
      const buckets = await db.attributeBucket.findMany({ orderBy: { name: "asc" } });
      return buckets.filter((b) => mayUseBucket(caller, b.name));
    },

    /** One person's attributes in one bucket. */
    async read(personId: string, bucket: string): Promise<Record<string, unknown>> {
      assertBucketAccess(caller, bucket);
      const rows = await loaders.attributesByPersonId.load(personId);
      return Object.fromEntries(rows.filter((r) => r.bucket.name === bucket).map((r) => [r.key, r.value]));
    },

    /** A bucket a dialect keeps what has no home in; made on first use. */
    ensure: (name: string) =>
      inTransaction(db, caller, (tx) => ensureBucket(tx, caller.workspaceId, name, `Fields the ${name} API sends that have no typed home in the graph.`)),

    async create(name: string, description: string | null | undefined): Promise<AttributeBucket> {
      if (!BUCKET_NAME.test(name)) {
        throw InvalidInput.field(["name"], "A bucket name starts with a letter and has up to 64 lower-case letters, digits, - or _.");
      }
      if (await db.attributeBucket.findFirst({ where: { name } })) throw new Conflict(`The attribute bucket "${name}" already exists.`);
      return inTransaction(db, caller, (tx) => tx.attributeBucket.create({ data: { workspaceId: caller.workspaceId, name, description: description?.trim() || null } }));
    },
  };
}
