import type { Database } from "../db/client.js";
import type { Person } from "../generated/prisma/client.js";
import { selectFields } from "./columns.js";
import { rows, sql, type Sql } from "./sql.js";

/** Whole persons of one workspace, many at once: the batch look-ups behind `_entities`, `node` and `person`. */
export function personStore(db: Database, workspaceId: string) {
  return {
    byIds: (ids: string[]) =>
      rows<Person>(db, sql`SELECT ${selectFields("Person", "p")} FROM person p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ANY(${ids}::uuid[])`),
    /** Persons as JSON text (`json` over `pe`, src/direct) in the order of `ids`, null where none is this workspace's. */
    async jsonByIds(ids: string[], json: Sql): Promise<(string | null)[]> {
      const found = await rows<{ json: string | null }>(
        db,
        sql`SELECT CASE WHEN pe.id IS NULL THEN NULL ELSE ${json} END AS json
          FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS r(id, n) LEFT JOIN person pe ON pe.id = r.id AND pe.workspace_id = ${workspaceId}::uuid
          ORDER BY r.n`,
      );
      return found.map((row) => row.json);
    },
    byExternalIds: (externalIds: string[]) =>
      rows<Person>(db, sql`SELECT ${selectFields("Person", "p")} FROM person p WHERE p.workspace_id = ${workspaceId}::uuid AND p.external_id = ANY(${externalIds}::text[])`),
  };
}
