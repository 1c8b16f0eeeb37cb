// The bench's dataset and workspace, on PostgreSQL and in the embedded database: seeded on first
// use, then reused. Shared by every bench script.
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { renderStoredDisplays } from "../src/services/stored-display.js";
import { createApiKey, createWorkspace } from "../src/services/workspace.js";
import { seed, seedLedgerHistory } from "./seed.js";

export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/pg_bench";
export const PGLITE_DIR = process.env.BENCH_PGLITE_DIR ?? fileURLToPath(new URL(".data/pglite", import.meta.url));

export async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

export interface Fixture {
  apiKey: string;
  apiKeyId: string;
  workspaceId: string;
  ledgerHeavyId?: string;
  /** Milliseconds to sum the long ledger's whole history in SQL: what running totals avoid. */
  historySumMs?: number;
  programKey: string;
  programId: string;
  participantIds: string[];
  personIds: string[];
  externalIds: string[];
}

/**
 * The bench workspace of a database, seeded on first use. The rows are loaded, not written
 * through the API: no history of their own (triggers off for the loading session only).
 */
async function benchWorkspace(db: Database, load: (workspaceId: string) => Promise<void>): Promise<Omit<Fixture, "ledgerHeavyId" | "historySumMs">> {
  await migrate(db.driver);
  let workspace = await db.prisma.workspace.findFirst({ where: { name: "bench" } });
  if (!workspace) {
    workspace = (await createWorkspace(db.prisma, "bench")).workspace;
    await load(workspace.id);
  } else {
    console.log("  dataset already seeded");
  }
  // Loaded rows carry no stored display: rendered here, so that no server renders them while measured.
  const rendered = await renderStoredDisplays(db);
  if (rendered) {
    console.log(`  ${rendered} stored displays rendered`);
    await db.query("VACUUM ANALYZE custom_field_value", []);
  }
  const { secret, apiKey } = await createApiKey(db.prisma, workspace.id, { name: `bench ${new Date().toISOString()}`, scopes: ["write"] });
  const program = await db.prisma.program.findFirstOrThrow({ where: { workspaceId: workspace.id, key: "program-1" } });
  const participants = await db.prisma.participant.findMany({
    where: { programId: program.id },
    orderBy: { serialNumber: "asc" },
    take: 1000,
    select: { id: true, personId: true, externalId: true },
  });
  return {
    apiKey: secret,
    apiKeyId: apiKey.id,
    workspaceId: workspace.id,
    programKey: program.key,
    programId: program.id,
    participantIds: participants.map((p) => p.id),
    personIds: participants.map((p) => p.personId),
    externalIds: participants.map((p) => p.externalId!),
  };
}

export async function preparePostgres(): Promise<Fixture> {
  await ensureDatabase();
  const db = await openDatabase({ kind: "postgres", url: DATABASE_URL, poolSize: 2 });
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const fixture = await benchWorkspace(db, async (workspaceId) => {
      await client.query("SET session_replication_role = replica");
      await seed(client, workspaceId);
      await client.query("SET session_replication_role = DEFAULT");
      await client.query("VACUUM ANALYZE");
    });
    const ledgerHeavyId = await seedLedgerHistory(client, fixture.workspaceId);
    const sums: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await client.query(`SELECT kind, asset, bucket, sum(amount) FROM ledger_entry WHERE participant_id = $1 GROUP BY 1, 2, 3`, [ledgerHeavyId]);
      sums.push(performance.now() - started);
    }
    return { ...fixture, ledgerHeavyId, historySumMs: sums.sort((a, b) => a - b)[3]! };
  } finally {
    await client.end();
    await db.close();
  }
}

/** The same dataset in the embedded database, kept in bench/.data between runs (seeding takes minutes). */
export async function preparePglite(): Promise<Fixture> {
  const db = await openDatabase({ kind: "pglite", dataDir: PGLITE_DIR });
  try {
    return await benchWorkspace(db, async (workspaceId) => {
      console.log("  seeding the embedded database (once; kept in bench/.data)");
      const client = { query: (sql: string, params: unknown[] = []) => db.query(sql, params) };
      await client.query("SET session_replication_role = replica");
      await seed(client, workspaceId);
      await client.query("SET session_replication_role = DEFAULT");
      await client.query("VACUUM ANALYZE");
    });
  } finally {
    await db.close();
  }
}
