import type { Database } from "../db/client.js";
import { and, join, raw, rows, sql, type Sql } from "./sql.js";

/** One change as stored: `fields` is [{ path, before, after }]. */
export interface ChangeRow {
  id: string;
  position: string;
  entityType: string;
  entityId: string;
  programId: string | null;
  operation: string;
  fields: { path: string[]; before: unknown; after: unknown }[];
  actorKeyId: string | null;
  source: string;
  requestId: string | null;
  version: number | null;
  at: Date;
}

/** What a feed may be narrowed to (programId already resolved from a program's key). */
export interface ChangeCriteria {
  entityTypes?: readonly string[] | null;
  entityId?: string | null;
  operations?: readonly string[] | null;
  programId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

const COLUMNS = sql`id, position::text AS position, entity_type AS "entityType", entity_id AS "entityId", program_id AS "programId",
  operation, fields, actor_key_id AS "actorKeyId", source, request_id AS "requestId", version, at`;

/**
 * The feed's horizon (change_horizon in the migration): positions below the oldest transaction
 * still running that writes this workspace's changes. A transaction that began earlier but
 * commits later would otherwise appear behind a cursor a reader has already passed; below the
 * horizon every such transaction has settled, so what a reader has seen is final.
 */
// A scalar subquery: computed once per statement, whatever plan PostgreSQL chooses.
const settled = (workspaceId: string) => sql`position < (SELECT change_horizon(${workspaceId}::uuid))`;

// A row's own columns are recorded by their database names; the graph's are camelCase.
const camel = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

async function changes(read: Promise<ChangeRow[]>): Promise<ChangeRow[]> {
  return (await read).map((row) => ({ ...row, fields: row.fields.map((f) => (f.path.length === 1 ? { ...f, path: [camel(f.path[0]!)] } : f)) }));
}

// In the text, not a parameter, so that PostgreSQL keeps one generic plan per page size.
const limitOf = (limit: number) => raw(` LIMIT ${Math.trunc(limit)}`);

function narrowed(c: ChangeCriteria): Sql[] {
  const conditions: Sql[] = [];
  if (c.entityTypes) conditions.push(sql`entity_type::text = ANY(${c.entityTypes as string[]}::text[])`);
  if (c.entityId) conditions.push(sql`entity_id = ${c.entityId}::uuid`);
  if (c.operations) conditions.push(sql`operation::text = ANY(${c.operations as string[]}::text[])`);
  if (c.programId) conditions.push(sql`program_id = ${c.programId}::uuid`);
  if (c.since) conditions.push(sql`at >= ${c.since}`);
  if (c.until) conditions.push(sql`at < ${c.until}`);
  return conditions;
}

/** The change history of one workspace, read in SQL (the table has no Prisma model). */
export function changeStore(db: Database, workspaceId: string) {
  const workspace = sql`workspace_id = ${workspaceId}::uuid`;
  return {
    /** The feed, oldest first, after a position; one row more than asked, to tell whether more follow. */
    feed(criteria: ChangeCriteria, after: string | null, limit: number): Promise<ChangeRow[]> {
      const from = after === null ? sql`TRUE` : sql`position > ${after}::numeric`;
      return changes(rows(db, sql`SELECT ${COLUMNS} FROM change WHERE ${and([workspace, from, settled(workspaceId), ...narrowed(criteria)])} ORDER BY change.position${limitOf(limit)}`));
    },
    /** One entity's changes, newest first, before a position. */
    history(entityId: string, before: string | null, limit: number): Promise<ChangeRow[]> {
      const to = before === null ? sql`TRUE` : sql`position < ${before}::numeric`;
      return changes(rows(db, sql`SELECT ${COLUMNS} FROM change WHERE ${join([workspace, sql`entity_id = ${entityId}::uuid`, to], " AND ")} ORDER BY change.position DESC${limitOf(limit)}`));
    },
    /** How many changes the feed holds with these criteria (one entity's history: `entityId` alone). */
    async count(criteria: ChangeCriteria, onlySettled = true): Promise<number> {
      const conditions = [workspace, ...(onlySettled ? [settled(workspaceId)] : []), ...narrowed(criteria)];
      const [row] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM change WHERE ${and(conditions)}`);
      return row!.n;
    },
    /** The position below which every change is settled: where a live reader starts. */
    async horizon(): Promise<string> {
      const [row] = await rows<{ position: string }>(db, sql`SELECT change_horizon(${workspaceId}::uuid)::text AS position`);
      return row!.position;
    },
    /** Every change of these entities, oldest first: the history a person's export carries. */
    ofEntities(ids: readonly string[]): Promise<ChangeRow[]> {
      return changes(rows(db, sql`SELECT ${COLUMNS} FROM change WHERE ${workspace} AND entity_id = ANY(${ids as string[]}::uuid[]) ORDER BY change.position`));
    },
    async byIds(ids: readonly string[]): Promise<ChangeRow[]> {
      return changes(rows(db, sql`SELECT ${COLUMNS} FROM change WHERE ${workspace} AND id = ANY(${ids as string[]}::uuid[])`));
    },
  };
}
