import type { Database } from "../db/client.js";
import type { Person } from "../generated/prisma/client.js";
import { selectFields } from "./columns.js";
import { rows, sql } from "./sql.js";

/** Whole persons of one workspace, many at once: the batch look-ups behind `_entities`, `node` and `person`. */
export function personStore(db: Database, workspaceId: string) {
  return {
    byIds: (ids: string[]) =>
      rows<Person>(db, sql`SELECT ${selectFields("Person", "p")} FROM person p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ANY(${ids}::uuid[])`),
    byExternalIds: (externalIds: string[]) =>
      rows<Person>(db, sql`SELECT ${selectFields("Person", "p")} FROM person p WHERE p.workspace_id = ${workspaceId}::uuid AND p.external_id = ANY(${externalIds}::text[])`),
  };
}
