import type { SqlTx, Tx } from "../db/transaction.js";
import { Prisma } from "../generated/prisma/client.js";
import { raw, sql } from "./sql.js";

// Rows of many persons or participants written at once, for imports: one statement per table
// and kind of write, each row travelling inside one JSON parameter and turned into the table's
// own row type by PostgreSQL (jsonb_populate_record), so the statement text never depends on
// how many rows there are.

/** The entity tables written in bulk. */
export type BulkTable = "person" | "participant";

/** A row or a patch by column name, as JSON: what jsonb_populate_record reads. */
export type Columns = Record<string, unknown>;

/** Prisma's field names to the columns they map to (prisma/schema.prisma maps camelCase to snake_case). */
const columnName = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A Prisma data object as columns: JSON nulls and dates as PostgreSQL reads them from JSON. */
export function columnsOf(data: Record<string, unknown>): Columns {
  const columns: Columns = {};
  for (const [field, value] of Object.entries(data)) {
    if (value === undefined) continue;
    columns[columnName(field)] =
      value === Prisma.DbNull || value === Prisma.JsonNull ? null : value instanceof Date ? value.toISOString() : value;
  }
  return columns;
}

// Only these may be named in a patch: the statement's column list is built from the patches' keys.
const PATCHABLE: Record<BulkTable, ReadonlySet<string>> = {
  person: new Set([
    "external_id", "email", "phone", "first_name", "last_name", "display_name", "avatar_url", "timezone", "locale", "type", "title",
    "company", "location", "tags", "first_seen_at", "last_seen_at", "gender", "score", "role", "account_id", "signed_up_at", "consent",
    "inferred_location",
  ]),
  participant: new Set(["external_id", "status", "status_reason", "status_changed_at", "tags", "attributes"]),
};

/** Inserts whole rows; columns left out take the defaults below, then the table's. */
export async function insertRows(tx: Tx, table: BulkTable, rows: Columns[]): Promise<void> {
  if (rows.length === 0) return;
  const defaults = table === "participant" ? { tags: [], status: "ACTIVE", version: 1, attributes: {} } : { tags: [], status: "ACTIVE", version: 1 };
  await tx.$executeRaw`
    INSERT INTO ${raw(table)}
    SELECT r.* FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) AS given,
      jsonb_populate_record(NULL::${raw(table)}, ${JSON.stringify(defaults)}::jsonb || jsonb_build_object('created_at', now(), 'updated_at', now()) || given) AS r`;
}

/**
 * Applies each row's patch (the columns it names; the others stay) and moves its version, in
 * one statement. A patch may name no column: the row changed in its parts only.
 */
export async function patchRows(tx: Tx, table: BulkTable, workspaceId: string, patches: { id: string; patch: Columns }[]): Promise<void> {
  if (patches.length === 0) return;
  const columns = [...new Set(patches.flatMap((p) => Object.keys(p.patch)))].sort();
  const unknown = columns.find((c) => !PATCHABLE[table].has(c));
  if (unknown) throw new Error(`${table}.${unknown} cannot be patched in bulk`);
  const assignments = columns.length === 0 ? "" : `(${columns.join(", ")}) = (SELECT ${columns.map((c) => `p.${c}`).join(", ")} FROM jsonb_populate_record(t, u.patch) AS p), `;
  await tx.$executeRaw`
    UPDATE ${raw(table)} AS t SET ${raw(assignments)}version = t.version + 1, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(patches)}::jsonb) AS u(id uuid, patch jsonb)
    WHERE t.workspace_id = ${workspaceId}::uuid AND t.id = u.id`;
}

/** One attribute of one person in a bucket. */
export interface AttributeWrite {
  personId: string;
  key: string;
  value?: unknown;
}

/** Upserts and removes attributes of many persons in one bucket: one statement each. */
export async function writePersonAttributes(tx: SqlTx, workspaceId: string, bucketId: string, set: AttributeWrite[], remove: AttributeWrite[]): Promise<void> {
  if (set.length > 0) {
    await tx.query(sql`
      INSERT INTO person_attribute (workspace_id, person_id, bucket_id, key, value, updated_at)
      SELECT ${workspaceId}::uuid, a."personId", ${bucketId}::uuid, a.key, a.value, now()
      FROM jsonb_to_recordset(${JSON.stringify(set)}::jsonb) AS a("personId" uuid, key text, value jsonb)
      ON CONFLICT (person_id, bucket_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`);
  }
  if (remove.length > 0) {
    await tx.query(sql`
      DELETE FROM person_attribute AS p USING jsonb_to_recordset(${JSON.stringify(remove)}::jsonb) AS a("personId" uuid, key text)
      WHERE p.workspace_id = ${workspaceId}::uuid AND p.person_id = a."personId" AND p.bucket_id = ${bucketId}::uuid AND p.key = a.key`);
  }
}

/** One person's id in one other system (no id: removed). */
export interface IdentityWrite {
  personId: string;
  system: string;
  id?: string;
}

/** Removes, then sets, ids in other systems of many persons: an id can move between persons in one call. */
export async function writeIdentities(tx: Tx, workspaceId: string, set: IdentityWrite[], remove: IdentityWrite[]): Promise<void> {
  if (remove.length > 0) {
    await tx.$executeRaw`
      DELETE FROM person_identity AS p USING jsonb_to_recordset(${JSON.stringify(remove)}::jsonb) AS i("personId" uuid, system text)
      WHERE p.workspace_id = ${workspaceId}::uuid AND p.person_id = i."personId" AND p.system = i.system`;
  }
  if (set.length > 0) {
    await tx.$executeRaw`
      INSERT INTO person_identity (workspace_id, person_id, system, external_id)
      SELECT ${workspaceId}::uuid, i."personId", i.system, i.id FROM jsonb_to_recordset(${JSON.stringify(set)}::jsonb) AS i("personId" uuid, system text, id text)
      ON CONFLICT (person_id, system) DO UPDATE SET external_id = EXCLUDED.external_id`;
  }
}
