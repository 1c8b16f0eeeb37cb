import type { Tx } from "../db/transaction.js";
import { raw } from "./sql.js";

/**
 * Adds and removes tags in one statement on the row under its lock: concurrent adds of different
 * tags all survive. Returns how many tags the row has after the change.
 */
export async function changeTags(
  tx: Tx,
  table: "person" | "participant",
  workspaceId: string,
  id: string,
  change: { add: string[]; remove: string[] },
): Promise<number> {
  // Code-point order, as the service sorts a replaced set.
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    UPDATE ${raw(table)} SET tags = ARRAY(
      SELECT DISTINCT t COLLATE "C" FROM unnest(tags || ${change.add}::text[]) AS t WHERE t <> ALL(${change.remove}::text[]) ORDER BY 1)
    WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid
    RETURNING cardinality(tags) AS n`;
  return row?.n ?? 0;
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
