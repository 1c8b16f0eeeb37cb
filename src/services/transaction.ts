import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Conflict, fromPrismaError, NotFound, type AppError } from "../errors.js";
import type { Tx } from "./attributes.js";

/**
 * Runs a write in one transaction; a constraint violation found by the database becomes the
 * spec's error. Everything a service writes goes through here, so a rejected write changes nothing.
 */
export async function inTransaction<T>(db: ScopedPrisma, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.$transaction(fn);
  } catch (error) {
    throw fromPrismaError(error) ?? error;
  }
}

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
