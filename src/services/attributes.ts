import type { Caller } from "../auth/api-key.js";
import { assertBucketAccess } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { FieldErrors, NotFound } from "../errors.js";
import type { AttributeBucket } from "../generated/prisma/client.js";
import type { Tx } from "../db/transaction.js";
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
export async function usableBucket(db: ScopedPrisma | Tx, caller: Caller, name: string): Promise<AttributeBucket> {
  assertBucketAccess(caller, name);
  const bucket = await db.attributeBucket.findFirst({ where: { workspaceId: caller.workspaceId, name } });
  if (!bucket) throw new NotFound(`Attribute bucket "${name}"`);
  return bucket;
}

/**
 * Merges a checked patch into one person's bucket. One row per key and an upsert per row: writers
 * of different keys never touch the same row, so none of them can lose another's write.
 */
export async function mergePersonAttributes(
  tx: Tx,
  workspaceId: string,
  personId: string,
  bucketId: string,
  patch: { set: Record<string, unknown>; remove: string[] },
): Promise<void> {
  if (Object.keys(patch.set).length > 0) {
    await tx.$executeRaw`
      INSERT INTO person_attribute (workspace_id, person_id, bucket_id, key, value, updated_at)
      SELECT ${workspaceId}::uuid, ${personId}::uuid, ${bucketId}::uuid, e.key, e.value, now()
      FROM jsonb_each(${JSON.stringify(patch.set)}::jsonb) AS e
      ON CONFLICT (person_id, bucket_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`;
  }
  if (patch.remove.length > 0) {
    await tx.$executeRaw`
      DELETE FROM person_attribute
      WHERE workspace_id = ${workspaceId}::uuid AND person_id = ${personId}::uuid
        AND bucket_id = ${bucketId}::uuid AND key = ANY(${patch.remove}::text[])`;
  }
}

/**
 * Merges into a participant's attribute map in one UPDATE: PostgreSQL re-reads the row under its
 * lock, so concurrent merges of different keys all survive.
 */
export async function mergeParticipantAttributes(
  tx: Tx,
  workspaceId: string,
  participantId: string,
  patch: { set: Record<string, unknown>; remove: string[] },
): Promise<void> {
  await tx.$executeRaw`
    UPDATE participant
    SET attributes = (attributes || ${JSON.stringify(patch.set)}::jsonb) - ${patch.remove}::text[]
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${participantId}::uuid`;
}

export async function ensureDefaultBucket(tx: Tx, workspaceId: string): Promise<AttributeBucket> {
  return tx.attributeBucket.upsert({
    where: { workspaceId_name: { workspaceId, name: DEFAULT_BUCKET } },
    create: { workspaceId, name: DEFAULT_BUCKET, description: "Every workspace's bucket." },
    update: {},
  });
}
