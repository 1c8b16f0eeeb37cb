import type { Database } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";

/**
 * SQL is built as values, never by concatenating text: Prisma's tagged template keeps every
 * value a bound parameter, and fragments compose with `join` and `empty`. `raw` is for names
 * this code owns (columns from columns.ts), never for input.
 */
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;
export type Sql = Prisma.Sql;

/** Runs one statement through the raw driver (named, so that PostgreSQL plans it once). */
export function rows<T>(db: Database, statement: Sql): Promise<T[]> {
  return db.query<T>(statement.text, statement.values);
}

/** `AND`-joins conditions, `TRUE` when there are none. */
export function and(conditions: Sql[]): Sql {
  return conditions.length ? join(conditions, " AND ") : sql`TRUE`;
}
