import type { PGlite } from "@electric-sql/pglite";
import type { SqlDriver } from "./sql-driver.js";

/** The embedded database as the driver migrations run on. */
export function pgliteDriver(pglite: PGlite): SqlDriver {
  return {
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          exec: async (sql) => void (await tx.exec(sql)),
          query: async (sql, params) => (await tx.query<Record<string, unknown>>(sql, params as unknown[])).rows,
        }),
      ),
  };
}
