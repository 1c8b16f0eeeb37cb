import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Conflict, NotFound, type AppError } from "../errors.js";

/** The client a write's transaction runs on: scoped to the caller's workspace like the rest. */
export type Tx = Parameters<Parameters<ScopedPrisma["$transaction"]>[0]>[0];

/**
 * Runs a write in one transaction. Everything a service writes goes through here, so a rejected
 * write changes nothing; what the database refuses is turned into the spec's error on the way
 * out (error-handling.ts).
 */
export function inTransaction<T>(db: ScopedPrisma, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(fn);
}

/** Every change to a row bumps its version (what `expectedVersion` guards) and updatedAt. */
export const touched = () => ({ version: { increment: 1 }, updatedAt: new Date() });

/**
 * Why a guarded update matched no row: the row was deleted under it (NOT_FOUND), or, with an
 * expected version, somebody changed it first (CONFLICT).
 */
export async function staleOrGone(
  model: { count(args: { where: { id: string } }): Promise<number> },
  id: string,
  expectedVersion: number | null | undefined,
  what: string,
): Promise<AppError> {
  if (expectedVersion == null || (await model.count({ where: { id } })) === 0) return new NotFound(what);
  return new Conflict(`${what} ${id} has changed since version ${expectedVersion}.`);
}
