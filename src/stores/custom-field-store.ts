import type { Database } from "../db/client.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { jsonFields } from "./columns.js";
import { storedValueSql, type StoredValue } from "./participant-store.js";
import { rows, sql } from "./sql.js";

/**
 * Custom field definitions and values read with plain SQL: a page of participants has a thousand
 * values, and Prisma's per-row mapping cost more than the statements. Raw SQL is not scoped, so
 * the workspace is named in each statement.
 */
export function customFieldStore(db: Database, workspaceId: string) {
  return {
    async definitionsOf(programIds: readonly string[]): Promise<CustomFieldDefinition[]> {
      const [{ doc }] = await rows<{ doc: string | null }>(
        db,
        sql`SELECT json_agg(json_build_object(${jsonFields("CustomFieldDefinition", "d")}) ORDER BY d.created_at, d.key)::text AS doc
            FROM custom_field_definition d WHERE d.workspace_id = ${workspaceId}::uuid AND d.program_id = ANY(${programIds}::uuid[])`,
      );
      return doc ? (JSON.parse(doc) as CustomFieldDefinition[]) : [];
    },

    /** Each participant's values folded into one JSON document keyed by field id: one row per participant. */
    async valuesOf(participantIds: readonly string[]): Promise<Map<string, Record<string, StoredValue>>> {
      const found = await rows<{ participantId: string; values: string }>(
        db,
        sql`SELECT participant_id AS "participantId", json_object_agg(v.field_id, ${storedValueSql(true)})::text AS values
            FROM custom_field_value v WHERE workspace_id = ${workspaceId}::uuid AND participant_id = ANY(${participantIds}::uuid[])
            GROUP BY participant_id`,
      );
      return new Map(found.map((row) => [row.participantId, JSON.parse(row.values) as Record<string, StoredValue>]));
    },
  };
}
