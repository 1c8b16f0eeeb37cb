import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { fromPrismaError } from "../errors.js";
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
