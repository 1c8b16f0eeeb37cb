import { touchedSql, type SqlTx, type Tx } from "../db/transaction.js";
import type { Person } from "../generated/prisma/client.js";
import { selectFields } from "./columns.js";
import { writeIdentities } from "./bulk-writes.js";
import { raw, sql } from "./sql.js";

/**
 * Adds and removes tags in one statement on the row under its lock: concurrent adds of different
 * tags all survive. Returns how many tags the row has after the change.
 */
export async function changeTags(
  tx: SqlTx,
  table: "person" | "participant",
  workspaceId: string,
  id: string,
  change: { add: string[]; remove: string[] },
): Promise<number> {
  // Code-point order, as the service sorts a replaced set.
  const [row] = await tx.query<{ n: number }>(sql`
    UPDATE ${raw(table)} SET tags = ARRAY(
      SELECT DISTINCT t COLLATE "C" FROM unnest(tags || ${change.add}::text[]) AS t WHERE t <> ALL(${change.remove}::text[]) ORDER BY 1)
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid
    RETURNING cardinality(tags) AS n`);
  return row?.n ?? 0;
}

/**
 * Moves a person's version and updatedAt, as every change to its row does (touched()), and
 * returns the row as it now is; undefined when the workspace has no such person.
 */
export async function touchPerson(tx: SqlTx, workspaceId: string, id: string): Promise<Person | undefined> {
  const [person] = await tx.query<Person>(sql`
    UPDATE person SET ${touchedSql()}
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid
    RETURNING ${selectFields("Person", "person")}`);
  return person;
}

/**
 * First and last seen, as imports and back-fills give them: `lastSeenAt` never moves back,
 * `firstSeenAt` never forward, and a person's first `lastSeenAt` without any `firstSeenAt` sets
 * both. Earlier or later values are ignored, not refused.
 */
export async function markSeen(tx: Tx, workspaceId: string, id: string, seen: { first?: Date; last?: Date }): Promise<void> {
  const first = seen.first ?? null;
  const last = seen.last ?? null;
  await tx.$executeRaw`
    UPDATE person SET
      last_seen_at = GREATEST(last_seen_at, ${last}::timestamptz),
      first_seen_at = LEAST(first_seen_at, ${first}::timestamptz,
        CASE WHEN first_seen_at IS NULL AND ${first}::timestamptz IS NULL THEN ${last}::timestamptz END)
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid`;
}

/**
 * Sets a person's ids in other systems (one per system) and removes others. An id another person
 * of the workspace already has in that system is a unique violation: CONFLICT.
 */
export async function setIdentities(
  tx: Tx,
  workspaceId: string,
  personId: string,
  identities: { set: { system: string; id: string }[]; remove: string[] },
): Promise<void> {
  await writeIdentities(
    tx,
    workspaceId,
    identities.set.map((i) => ({ personId, ...i })),
    identities.remove.map((system) => ({ personId, system })),
  );
}

/**
 * Moves what hangs off one person to another inside a merge: participations (refused, before
 * anything moves, when both are in one program), then the source's attributes, person field
 * values and ids in other systems where the target has none of its own. Returns the programs
 * both are enrolled in (nothing moved then).
 */
export async function moveToPerson(tx: Tx, workspaceId: string, sourceId: string, targetId: string): Promise<string[]> {
  const shared = await tx.$queryRaw<{ programId: string }[]>`
    SELECT program_id AS "programId" FROM participant
    WHERE workspace_id = ${workspaceId}::uuid AND person_id IN (${sourceId}::uuid, ${targetId}::uuid)
    GROUP BY program_id HAVING count(*) > 1`;
  if (shared.length > 0) return shared.map((row) => row.programId);
  await tx.$executeRaw`UPDATE participant SET person_id = ${targetId}::uuid WHERE workspace_id = ${workspaceId}::uuid AND person_id = ${sourceId}::uuid`;
  await tx.$executeRaw`
    INSERT INTO person_attribute (workspace_id, person_id, bucket_id, key, value, updated_at)
    SELECT workspace_id, ${targetId}::uuid, bucket_id, key, value, updated_at FROM person_attribute
    WHERE workspace_id = ${workspaceId}::uuid AND person_id = ${sourceId}::uuid
    ON CONFLICT (person_id, bucket_id, key) DO NOTHING`;
  await tx.$executeRaw`
    INSERT INTO person_field_value (workspace_id, person_id, field_id, value, updated_at)
    SELECT workspace_id, ${targetId}::uuid, field_id, value, updated_at FROM person_field_value
    WHERE workspace_id = ${workspaceId}::uuid AND person_id = ${sourceId}::uuid
    ON CONFLICT (person_id, field_id) DO NOTHING`;
  await tx.$executeRaw`
    UPDATE person_identity SET person_id = ${targetId}::uuid
    WHERE workspace_id = ${workspaceId}::uuid AND person_id = ${sourceId}::uuid
      AND system NOT IN (SELECT system FROM person_identity WHERE person_id = ${targetId}::uuid)`;
  return [];
}

/** The field changes that tie a merge's two persons together in their histories. */
export async function recordMergeLinks(tx: Tx, workspaceId: string, sourceId: string, targetId: string): Promise<void> {
  const link = (path: string, id: string) => JSON.stringify([{ path: [path], before: null, after: id }]);
  await tx.$executeRaw`SELECT record_change(${workspaceId}::uuid, 'PERSON', ${sourceId}::uuid, NULL, 'MERGED', ${link("mergedInto", targetId)}::jsonb, NULL),
    record_change(${workspaceId}::uuid, 'PERSON', ${targetId}::uuid, NULL, 'MERGED', ${link("mergedFrom", sourceId)}::jsonb, NULL)`;
}
