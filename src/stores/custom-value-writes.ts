import type { SqlTx, Tx } from "../db/transaction.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { renderDisplaySetSql, renderedFormatSql } from "./display-sql.js";
import { empty, raw, sql } from "./sql.js";

// The custom value writes, in the caller's transaction: one statement for all the values given.
// A program's fields hold values per participant, person fields per person: the same rows in
// two tables, named here only. A participant's value is stored with its display, as the
// resolvers render it, and the fingerprint of this process's rendering (display-sql.ts); person
// fields are not read in pages and store none.

/** Where a field's values are kept: by participant for a program's fields, by person for person fields. */
export type ValueOwner = "participant" | "person";
const TABLES = {
  participant: { table: raw("custom_field_value"), owner: raw("participant_id"), displayed: true },
  person: { table: raw("person_field_value"), owner: raw("person_id"), displayed: false },
};
export const ownerOf = (field: Pick<CustomFieldDefinition, "programId">): ValueOwner => (field.programId ? "participant" : "person");

/** A value to store in a field, with its display. */
export interface ValueToSet {
  fieldId: string;
  value: unknown;
  display: string | null;
}

/** One owner's value of one field (no value: cleared). */
export interface ValueWrite {
  ownerId: string;
  fieldId: string;
  value?: unknown;
  display?: string | null;
}

/** Upserts values by field and clears others, for one participant or one person. */
export async function writeCustomValues(
  tx: SqlTx,
  owner: ValueOwner,
  workspaceId: string,
  ownerId: string,
  values: { set: ValueToSet[]; clear: string[] },
): Promise<void> {
  await writeValuesOf(tx, owner, workspaceId, values.set.map((v) => ({ ownerId, ...v })), values.clear.map((fieldId) => ({ ownerId, fieldId })));
}

/** Upserts and clears values of many owners at once: one statement each. */
export async function writeValuesOf(tx: SqlTx, owner: ValueOwner, workspaceId: string, set: ValueWrite[], clear: ValueWrite[]): Promise<void> {
  const { table, owner: column, displayed } = TABLES[owner];
  if (set.length > 0) {
    await tx.query(sql`
      INSERT INTO ${table} (workspace_id, ${column}, field_id, value, updated_at${displayed ? raw(", display, display_format") : empty})
      SELECT ${workspaceId}::uuid, c."ownerId", c."fieldId", c.value, now()${displayed ? sql`, c.display, CASE WHEN c.display IS NOT NULL THEN ${renderedFormatSql()} END` : empty}
      FROM jsonb_to_recordset(${JSON.stringify(set)}::jsonb) AS c("ownerId" uuid, "fieldId" uuid, value jsonb, display text)
      ON CONFLICT (${column}, field_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()${
        displayed ? raw(", display = EXCLUDED.display, display_format = EXCLUDED.display_format") : empty
      }`);
  }
  if (clear.length > 0) {
    await tx.query(sql`
      DELETE FROM ${table} AS v USING jsonb_to_recordset(${JSON.stringify(clear)}::jsonb) AS c("ownerId" uuid, "fieldId" uuid)
      WHERE v.workspace_id = ${workspaceId}::uuid AND v.${column} = c."ownerId" AND v.field_id = c."fieldId"`);
  }
}

/** A field's stored values, by their owner's id. */
export async function storedValues(tx: Tx, field: Pick<CustomFieldDefinition, "id" | "workspaceId" | "programId">): Promise<{ ownerId: string; value: unknown }[]> {
  const { table, owner } = TABLES[ownerOf(field)];
  return tx.$queryRaw`SELECT ${owner} AS "ownerId", value FROM ${table} WHERE workspace_id = ${field.workspaceId}::uuid AND field_id = ${field.id}::uuid`;
}

/** Replaces one field's stored values with their converted form (after a definition changed). */
export async function replaceCustomValues(
  tx: Tx,
  field: Pick<CustomFieldDefinition, "id" | "workspaceId" | "programId">,
  converted: { ownerId: string; value: unknown }[],
): Promise<void> {
  const { table, owner } = TABLES[ownerOf(field)];
  await tx.$executeRaw`
    UPDATE ${table} AS v SET value = c.value, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(converted)}::jsonb) AS c("ownerId" uuid, value jsonb)
    WHERE v.workspace_id = ${field.workspaceId}::uuid AND v.field_id = ${field.id}::uuid
      AND v.${owner} = c."ownerId" AND v.value IS DISTINCT FROM c.value`;
}

/**
 * Renders the stored displays of a participant field's values again, after its type or options
 * (whose labels a display shows) changed: in the definition's transaction, after its update.
 */
export async function renderFieldDisplays(tx: Tx, field: Pick<CustomFieldDefinition, "id" | "workspaceId" | "programId">): Promise<void> {
  if (ownerOf(field) !== "participant") return;
  await tx.$executeRaw`
    UPDATE custom_field_value v SET ${renderDisplaySetSql()}
    WHERE v.workspace_id = ${field.workspaceId}::uuid AND v.field_id = ${field.id}::uuid`;
}
