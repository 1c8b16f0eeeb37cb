import type { SqlTx, Tx } from "../db/transaction.js";
import type { AttributeBucket } from "../generated/prisma/client.js";
import { writePersonAttributes } from "./bulk-writes.js";
import { selectFields } from "./columns.js";
import { sql } from "./sql.js";

// The attribute writes, in the caller's transaction. Values travel as one JSON parameter.

/**
 * Merges a checked patch into one person's bucket. One row per key and an upsert per row: writers
 * of different keys never touch the same row, so none of them can lose another's write.
 */
export async function mergePersonAttributes(
  tx: SqlTx,
  workspaceId: string,
  personId: string,
  bucketId: string,
  patch: { set: Record<string, unknown>; remove: string[] },
): Promise<void> {
  await writePersonAttributes(
    tx,
    workspaceId,
    bucketId,
    Object.entries(patch.set).map(([key, value]) => ({ personId, key, value })),
    patch.remove.map((key) => ({ personId, key })),
  );
}

/**
 * Merges into a participant's attribute map in one UPDATE: PostgreSQL re-reads the row under its
 * lock, so concurrent merges of different keys all survive.
 */
export async function mergeParticipantAttributes(
  tx: SqlTx,
  workspaceId: string,
  participantId: string,
  patch: { set: Record<string, unknown>; remove: string[] },
): Promise<void> {
  await tx.query(sql`
    UPDATE participant
    SET attributes = (attributes || ${JSON.stringify(patch.set)}::jsonb) - ${patch.remove}::text[]
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${participantId}::uuid`);
}

/** A bucket of the workspace by its name. */
export async function bucketNamed(tx: SqlTx, workspaceId: string, name: string): Promise<AttributeBucket | undefined> {
  const [bucket] = await tx.query<AttributeBucket>(sql`SELECT ${selectFields("AttributeBucket", "b")} FROM attribute_bucket b WHERE b.workspace_id = ${workspaceId}::uuid AND b.name = ${name}`);
  return bucket;
}

/** Makes a bucket unless it exists, in one statement (concurrent first uses cannot collide). */
export async function ensureBucket(db: Pick<Tx, "$executeRaw">, workspaceId: string, name: string, description: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO attribute_bucket (id, workspace_id, name, description, created_at)
    VALUES (gen_random_uuid(), ${workspaceId}::uuid, ${name}, ${description}, now())
    ON CONFLICT (workspace_id, name) DO NOTHING`;
}
