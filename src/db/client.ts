import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { DEFAULT_EMBEDDED_SHARED_BUFFERS, type DatabaseConfig } from "../config.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { pgliteDriver } from "./pglite-driver.js";
import { lockDataDir } from "./pglite-lock.js";
import { ReadReplicas } from "./read-replicas.js";
import { newCluster } from "./pglite-template.js";
import type { SqlDriver } from "./sql-driver.js";
import { countingAdapter, record } from "./statement-counter.js";

export type Prisma = PrismaClient;

// Writers queue for a pooled connection (PostgreSQL) or for the single one (PGlite); Prisma's
// default two seconds of waiting turns a burst of concurrent writes into errors.
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

/** The one database handle of a process: the Prisma client, plus the raw driver for migrations. */
export interface Database {
  kind: DatabaseConfig["kind"];
  prisma: PrismaClient;
  driver: SqlDriver;
  /**
   * One parameterised statement straight through the driver, for the few hot reads where
   * Prisma's per-query overhead dominated the request (API keys, custom field definitions and
   * values). Not tenant-scoped: every caller names the workspace in its SQL.
   */
  query<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Streaming replicas that requests which only read go to (DATABASE_REPLICA_URLS), if any. */
  replicas?: ReadReplicas;
  /** Resolves when a trivial statement succeeds, rejects otherwise; for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === "pglite") return openPglite(config.dataDir, config.sharedBuffers, config.fromMigratedTemplate ?? true);
  const primary = openPostgres(config.url, config.poolSize);
  if (!config.replicaUrls?.length) return primary;
  const replicas = new ReadReplicas(
    primary,
    config.replicaUrls.map((url) => openPostgres(url, config.poolSize)),
  );
  return { ...primary, replicas, close: () => Promise.all([replicas.close(), primary.close()]).then(() => {}) };
}

/**
 * Raw reads are a few distinct texts sent very often (a participant page is several kilobytes of
 * SQL): named, each is sent, parsed and planned once per connection instead of on every request.
 * Past a bound, new texts go unnamed, so that ad-hoc shapes cannot fill the server's memory.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (!name && statementNames.size < MAX_NAMED_STATEMENTS) statementNames.set(sql, (name = `pg_${statementNames.size}`));
  return name;
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast instead of queueing forever when the server is gone.
    connectionTimeoutMillis: 5_000,
    // PostgreSQL compiles a statement its planner thinks costly to machine code first: 40 ms for
    // a page of participants written as JSON, whose cost the planner overestimates a hundredfold
    // (every set-returning function is taken for 100 rows), then again on every execution.
    // The statements here are short: compiling never pays.
    options: "-c jit=off",
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: countingAdapter(new PrismaPg(pool)), transactionOptions: TRANSACTION_OPTIONS });
  const driver: SqlDriver = {
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          exec: async (sql) => void (await client.query(sql)),
          query: async (sql, params) => {
            record(sql);
            return (await client.query(sql, params as unknown[])).rows;
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
  return {
    kind: "postgres",
    prisma,
    driver,
    query: async <T,>(sql: string, params: readonly unknown[]) => {
      record(sql);
      return (await pool.query({ name: statementName(sql), text: sql, values: params as unknown[] })).rows as T[];
    },
    ping: async () => void (await pool.query("SELECT 1")),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** `memory://` keeps the embedded database in memory (tests); anything else is a folder. */
async function openPglite(dataDir: string, sharedBuffers = DEFAULT_EMBEDDED_SHARED_BUFFERS, migrated = true): Promise<Database> {
  // Loaded here: a process on PostgreSQL never needs the embedded database.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
  const unlock = dataDir.startsWith("memory://") ? () => {} : lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      dataDir,
      loadDataDir: newCluster(dataDir, { migrated }),
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${sharedBuffers}`],
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: countingAdapter(new PrismaPGlite(pglite)), transactionOptions: TRANSACTION_OPTIONS });
  const driver = pgliteDriver(pglite);
  return {
    kind: "pglite",
    prisma,
    driver,
    query: async <T,>(sql: string, params: readonly unknown[]) => {
      record(sql);
      return (await pglite.query<T>(sql, params as unknown[])).rows;
    },
    ping: async () => {
      if (pglite.closed) throw new Error("The embedded database is closed");
      await pglite.query("SELECT 1");
    },
    close: async () => {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
      unlock();
    },
  };
}
