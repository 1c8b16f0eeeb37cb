import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Conflict, NotFound, type AppError } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import type { Database } from "./client.js";

/** The client a write's transaction runs on: scoped to the caller's workspace like the rest. */
export type Tx = Parameters<Parameters<ScopedPrisma["$transaction"]>[0]>[0];

/**
 * Runs a write in one transaction. Everything a service writes goes through here, so a rejected
 * write changes nothing; what the database refuses is turned into the spec's error on the way
 * out (error-handling.ts). The transaction first says who writes, through what and in which
 * request: the triggers that record its changes read it from there.
 */
export function inTransaction<T>(db: ScopedPrisma, caller: Caller, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw(writer(caller));
    return fn(tx);
  });
}

// One statement: the writer, and the lock that tells the feed's readers a writer of this
// workspace is running (taken before the transaction has an id, so none slips past them).
const writer = (caller: Caller) => Prisma.sql`SELECT set_config('participant_graph.actor', ${caller.apiKeyId}, true),
  set_config('participant_graph.source', ${caller.source}, true), set_config('participant_graph.request_id', ${caller.requestId ?? ""}, true),
  lock_change_writer(${caller.workspaceId}::uuid)`;

/** A transaction on the driver: raw statements, values as the driver returns them. */
export interface SqlTx {
  query<T>(statement: Prisma.Sql): Promise<T[]>;
}

/** Prisma's transaction as an SqlTx, so that one raw write serves writes on either. */
export const sqlOf = (tx: Tx): SqlTx => ({ query: <T,>(statement: Prisma.Sql) => tx.$queryRaw<T[]>(statement) });

/**
 * Runs a write whose statements are all raw SQL in one transaction on the driver itself: the
 * same writer statement first, the same errors on the way out. For the hottest writes only:
 * Prisma's interactive transaction spent about five times the CPU of the driver on the same
 * statements (bench/CHANGES.md). Raw SQL is not scoped: every statement names the workspace.
 */
export function inDriverTransaction<T>(database: Database, caller: Caller, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
  return database.driver.transaction(async (session) => {
    const tx: SqlTx = { query: async <R,>(statement: Prisma.Sql) => (await session.query(statement.text, statement.values)) as R[] };
    await tx.query(writer(caller));
    return fn(tx);
  });
}

/** Every change to a row bumps its version (what `expectedVersion` guards) and updatedAt. */
export const touched = () => ({ version: { increment: 1 }, updatedAt: new Date() });

/** The same, as the SET list of a raw UPDATE. */
export const touchedSql = () => Prisma.sql`version = version + 1, updated_at = ${new Date()}::timestamptz`;

/**
 * Why a guarded update matched no row: the row was deleted under it (NOT_FOUND), or, with an
 * expected version, somebody changed it first (CONFLICT).
 */
export async function staleOrGone(
  exists: () => Promise<boolean>,
  id: string,
  expectedVersion: number | null | undefined,
  what: string,
): Promise<AppError> {
  if (expectedVersion == null || !(await exists())) return new NotFound(what);
  return new Conflict(`${what} ${id} has changed since version ${expectedVersion}.`);
}
