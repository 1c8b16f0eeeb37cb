import { touchedSql, type SqlTx } from "../db/transaction.js";
import type { CustomFieldDefinition, Participant } from "../generated/prisma/client.js";
import { jsonFields, selectFields } from "./columns.js";
import { empty, join, sql } from "./sql.js";

/** What a participant's update needs to know of it before it writes. */
export interface ParticipantToChange {
  id: string;
  programId: string;
  personId: string;
  /** Its program's field definitions, when asked for. */
  definitions: CustomFieldDefinition[] | null;
}

/**
 * The participant a write changes, with its program's field definitions when the write sets
 * custom values: one statement where there were two model reads, each a round trip inside the
 * write's transaction. Raw SQL is not scoped: the workspace is named.
 */
export async function participantToChange(tx: SqlTx, workspaceId: string, id: string, withDefinitions: boolean): Promise<ParticipantToChange | undefined> {
  const [row] = await tx.query<ParticipantToChange>(sql`
    SELECT p.id, p.program_id AS "programId", p.person_id AS "personId",
      CASE WHEN ${withDefinitions}::boolean THEN
        (SELECT coalesce(jsonb_agg(jsonb_build_object(${jsonFields("CustomFieldDefinition", "d")})), '[]') FROM custom_field_definition d WHERE d.program_id = p.program_id)
      END AS definitions
    FROM participant p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ${id}::uuid`);
  return row;
}

/**
 * Changes a participant's own columns and moves its version and updatedAt, as every change to
 * its row does, only at the expected version when one is given; the row as it now is, or
 * undefined when no row matched.
 */
export async function updateParticipantRow(
  tx: SqlTx,
  workspaceId: string,
  id: string,
  expectedVersion: number | null | undefined,
  change: { externalId?: string | null; tags?: string[] },
): Promise<Participant | undefined> {
  const sets = [touchedSql()];
  if (change.externalId !== undefined) sets.push(sql`external_id = ${change.externalId}::text`);
  if (change.tags !== undefined) sets.push(sql`tags = ${change.tags}::text[]`);
  const [row] = await tx.query<Participant>(sql`
    UPDATE participant SET ${join(sets, ", ")}
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid${expectedVersion != null ? sql` AND version = ${expectedVersion}::int` : empty}
    RETURNING ${selectFields("Participant", "participant")}`);
  return row;
}

/** Whether the workspace has this participant. */
export async function participantExists(tx: SqlTx, workspaceId: string, id: string): Promise<boolean> {
  const found = await tx.query(sql`SELECT 1 FROM participant WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid`);
  return found.length > 0;
}

/** Whether another participant of the program has this external id. */
export async function participantExternalIdTaken(tx: SqlTx, workspaceId: string, programId: string, externalId: string, exceptId?: string): Promise<boolean> {
  const found = await tx.query(sql`
    SELECT 1 FROM participant WHERE workspace_id = ${workspaceId}::uuid AND program_id = ${programId}::uuid AND external_id = ${externalId}
    ${exceptId ? sql`AND id <> ${exceptId}::uuid` : empty}`);
  return found.length > 0;
}
