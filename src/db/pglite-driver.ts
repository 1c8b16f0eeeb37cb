import type { PGlite } from "@electric-sql/pglite";
import type { SqlDriver } from "./sql-driver.js";
import { record } from "./statement-counter.js";

/** The embedded database as the driver that migrations and the hottest writes run on. */
export function pgliteDriver(pglite: PGlite): SqlDriver {
  return {
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          exec: async (sql) => void (await tx.exec(sql)),
          query: async (sql, params) => {
            record(sql);
            return (await tx.query<Record<string, unknown>>(sql, params as unknown[])).rows;
          },
        }),
      ),
  };
}
