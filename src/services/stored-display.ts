import type { Database } from "../db/client.js";
import { renderDisplaySetSql, rendering } from "../stores/display-sql.js";
import { rows, sql } from "../stores/sql.js";

// Small batches: each is one statement of its own, so that writers wait for a few rows at most
// and the embedded database's one connection keeps answering requests in between.
const BATCH = 500;
const FIRST_KEY = "00000000-0000-0000-0000-000000000000";

/**
 * Renders again every stored display that another rendering wrote (or none: rows from before
 * displays were stored), once: after an upgrade, or on the first start with this migration.
 * Reads are right meanwhile (they ignore a display of another rendering and format the value
 * themselves), only slower. Skipped when the last finished pass was this rendering's. One pass
 * in key order, never "until none is left": two versions running side by side would otherwise
 * render the same rows back and forth. Returns how many values it rendered.
 */
export async function renderStoredDisplays(db: Database, stopped: () => boolean = () => false): Promise<number> {
  if (!rendering) return 0;
  const { format } = rendering;
  const [last] = await rows<{ format: number }>(db, sql`SELECT format FROM display_rendering`);
  if (last?.format === format) return 0;
  let total = 0;
  let after = { participant: FIRST_KEY, field: FIRST_KEY };
  while (!stopped()) {
    const [batch] = await rows<{ rendered: number; participant: string; field: string }>(
      db,
      sql`WITH batch AS (
          SELECT participant_id, field_id FROM custom_field_value
          WHERE (participant_id, field_id) > (${after.participant}::uuid, ${after.field}::uuid)
          ORDER BY participant_id, field_id LIMIT ${BATCH}::int
        ), rendered AS (
          UPDATE custom_field_value v SET ${renderDisplaySetSql()}
          FROM batch b WHERE v.participant_id = b.participant_id AND v.field_id = b.field_id AND v.display_format IS DISTINCT FROM ${format}::int
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM rendered)::int AS rendered, participant_id AS participant, field_id AS field
        FROM batch ORDER BY participant_id DESC, field_id DESC LIMIT 1`,
    );
    if (!batch) {
      await rows(db, sql`INSERT INTO display_rendering (format) VALUES (${format}::int) ON CONFLICT (only_row) DO UPDATE SET format = EXCLUDED.format, finished_at = now()`);
      break;
    }
    total += batch.rendered;
    after = batch;
  }
  return total;
}
