// npm run bench: seeds PostgreSQL (and the embedded database with the same rows), starts
// participant-graph on each, PostGraphile 5 and a raw pg floor as separate processes, and drives
// every scenario at 1 and 32 connections with autocannon. Systems are interleaved: within each
// repetition every system runs once, in an order that rotates between repetitions, and ratios
// are taken within a repetition. Peak RSS starts over for every run. Prints and writes
// RESULTS.md with a chart. Not part of npm test.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createApiKey, createWorkspace } from "../src/services/workspace.js";
import { drive, type Figures, type Load } from "./measure.js";
import { renderChart, renderResults, type Run } from "./report.js";
import { seed, seedLedgerHistory, DATASET, LEDGER_HEAVY } from "./seed.js";
import { startOurs, startPostGraphile, startRaw, type System } from "./systems.js";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/pg_bench";
const PGLITE_DIR = process.env.BENCH_PGLITE_DIR ?? fileURLToPath(new URL(".data/pglite", import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map(Number);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);
const PAGE_SIZES = [1, 10, 50, 100];

export const SYSTEMS = {
  ours: "participant-graph",
  pglite: "participant-graph (PGlite)",
  postgraphile: "PostGraphile 5",
  floor: "raw pg floor",
  text: "raw text floor",
} as const;
type SystemKey = keyof typeof SYSTEMS;

async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

interface Fixture {
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

async function preparePostgres(): Promise<Fixture> {
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
async function preparePglite(): Promise<Fixture> {
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

interface Scenario {
  name: string;
  loads: Partial<Record<SystemKey, Load>>;
}

const gql = (query: string, variables: (i: number) => Record<string, unknown>) => (i: number) => JSON.stringify({ query, variables: variables(i) });

function scenarios(f: Fixture, lite: Fixture): Scenario[] {
  /** The same request to participant-graph on each database, with that database's ids and key. */
  const ours = (make: (f: Fixture) => (i: number) => string) => ({
    ours: { path: "/graphql", headers: { authorization: `Bearer ${f.apiKey}` }, body: make(f) },
    pglite: { path: "/graphql", headers: { authorization: `Bearer ${lite.apiKey}` }, body: make(lite) },
  });
  const at = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  const list = (first: number): Scenario => ({
    name: `nested list (first: ${first})`,
    loads: {
      ...ours((x) =>
        gql(
          `query($key: String!, $first: Int!) { participants(programKey: $key, first: $first) { edges { node { id serialNumber tags attributes person { id firstName lastName email } customFields { key value displayValue } } } } }`,
          () => ({ key: x.programKey, first }),
        ),
      ),
      postgraphile: {
        path: "/graphql",
        body: gql(
          `query($programId: UUID!, $first: Int!) { allParticipants(condition: { programId: $programId }, first: $first, orderBy: SERIAL_NUMBER_ASC) { nodes { rowId serialNumber tags attributes personByPersonId { rowId firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
          () => ({ programId: f.programId, first }),
        ),
      },
      floor: { path: `/json/list?program=${f.programId}&first=${first}`, method: "GET" },
      text: { path: `/text/list?program=${f.programId}&first=${first}`, method: "GET" },
    },
  });
  const write = (name: string, query: string, variables: (x: Fixture, i: number) => Record<string, unknown>, floor: string): Scenario => ({
    name,
    loads: {
      ...ours((x) => gql(query, (i) => variables(x, i))),
      floor: { path: `/write/${floor}`, body: gql(query, (i) => variables(f, i)) },
    },
  });
  return [
    ...PAGE_SIZES.map(list),
    {
      name: "participant by externalId",
      loads: {
        ...ours((x) =>
          gql(
            `query($key: String!, $ext: String!) { participant(programKey: $key, externalId: $ext) { id serialNumber firstName lastName email customFields { key value } } }`,
            (i) => ({ key: x.programKey, ext: at(x.externalIds, i) }),
          ),
        ),
        postgraphile: {
          path: "/graphql",
          body: gql(
            `query($programId: UUID!, $ext: String!) { allParticipants(condition: { programId: $programId, externalId: $ext }) { nodes { rowId serialNumber personByPersonId { firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
            (i) => ({ programId: f.programId, ext: at(f.externalIds, i) }),
          ),
        },
        floor: { path: `/json/participant?program=${f.programId}&ext=${f.externalIds[0]}`, method: "GET" },
      },
    },
    {
      name: "_entities (50 Person representations)",
      loads: {
        ...ours((x) =>
          gql(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id firstName lastName email } } }`, (i) => ({
            reps: Array.from({ length: 50 }, (_, j) => ({ __typename: "Person", id: at(x.personIds, i + j) })),
          })),
        ),
        floor: { path: "/json/entities", body: (i) => JSON.stringify({ ids: Array.from({ length: 50 }, (_, j) => at(f.personIds, i + j)) }) },
      },
    },
    write(
      "updateParticipant",
      `mutation($id: ID!, $n: JSON!) { updateParticipant(id: $id, input: { tags: ["bench"], customFields: [{ key: "field1", value: $n }] }) { id version } }`,
      (x, i) => ({ id: at(x.participantIds, i), n: i }),
      "update-participant",
    ),
    write(
      "setAttributes",
      `mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id version } }`,
      (x, i) => ({ id: at(x.personIds, i), a: { score: i, plan: i % 2 ? "pro" : "free" } }),
      "set-attributes",
    ),
    write(
      "postLedgerEntry",
      `mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id } }`,
      (x, i) => ({ input: { participantId: at(x.participantIds, i), kind: "COUNTER", asset: "visits", amount: "1", idempotencyKey: randomUUID() } }),
      "ledger-entry",
    ),
    {
      name: `ledger figures (${LEDGER_HEAVY.entries.toLocaleString("en")} entries)`,
      loads: {
        ours: {
          path: "/graphql",
          headers: { authorization: `Bearer ${f.apiKey}` },
          body: gql(
            `query($id: ID!) { participant(id: $id) { balances { asset bucket amount } counters { name value } financials { currency totalBooked totalPaid totalBalance } ledger(first: 10) { edges { node { kind amount createdAt } } } } }`,
            () => ({ id: f.ledgerHeavyId }),
          ),
        },
      },
    },
  ];
}

async function sqlPerRequest(system: System, load: Load): Promise<number | undefined> {
  const before = await system.statements();
  const response = await fetch(`http://127.0.0.1:${system.port}${load.path}`, { method: load.method ?? "POST", headers: { "content-type": "application/json", ...load.headers }, body: load.body?.(0) });
  await response.text();
  const header = response.headers.get("x-sql-statements");
  if (header) return Number(header);
  const after = await system.statements();
  return before === undefined || after === undefined ? undefined : after - before;
}

/** The three systems read the same rows: the serial numbers of the first page agree. */
async function verifySameRows(systems: Record<SystemKey, System>, list: Scenario) {
  const serials: Record<string, number[]> = {};
  for (const key of ["ours", "postgraphile", "floor", "text"] as const) {
    const load = list.loads[key]!;
    const response = await fetch(`http://127.0.0.1:${systems[key].port}${load.path}`, { method: load.method ?? "POST", headers: { "content-type": "application/json", ...load.headers }, body: load.body?.(0) });
    const body = (await response.json()) as { data: Record<string, { edges?: { node: { serialNumber: number } }[]; nodes?: { serialNumber: number }[] }> };
    const connection = Object.values(body.data)[0]!;
    serials[key] = (connection.edges?.map((e) => e.node) ?? connection.nodes!).map((n) => n.serialNumber);
  }
  const expected = JSON.stringify(serials.ours);
  for (const [key, list] of Object.entries(serials)) if (JSON.stringify(list) !== expected) throw new Error(`${key} answers other rows: ${JSON.stringify(list)} vs ${expected}`);
  console.log(`  same rows from every system (${serials.ours!.length} serial numbers compared)`);
}

/** Peak RSS of the embedded default's first start (template, migrations, demo) and of a restart. */
async function firstStartMemory(): Promise<{ first: number[]; restart: number[] }> {
  const first: number[] = [];
  const restart: number[] = [];
  for (let rep = 0; rep < REPETITIONS; rep++) {
    const dir = mkdtempSync(join(tmpdir(), "pg-first-start-"));
    for (const into of [first, restart]) {
      // As a newcomer starts it: the demo workspace is made on the first start.
      const system = await startOurs(join(dir, "data"), 5059, POOL_SIZE, { name: "first start", env: { SEED_DEMO: "true" } });
      // Settled: a start's own work (migrations, demo data) is done before /health answers.
      await new Promise((resolve) => setTimeout(resolve, 500));
      into.push(system.peakMemoryMiB());
      await system.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { first, restart };
}

function rotate<T>(xs: T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

async function main() {
  console.log(`participant-graph benchmark: ${REPETITIONS} repetitions × ${DURATION}s per run after ${WARMUP}s warm-up, connections ${LEVELS.join(" and ")}`);
  const fixture = await preparePostgres();
  const lite = await preparePglite();
  const startedSystems: System[] = [];
  const started = async (system: Promise<System>) => {
    const s = await system;
    startedSystems.push(s);
    return s;
  };
  const runs: Run[] = [];
  const sql: Record<string, Partial<Record<SystemKey, number>>> = {};
  let startup: { first: number[]; restart: number[] } | undefined;
  try {
    startup = await firstStartMemory();
    console.log(`  first start of the embedded default: peak RSS ${startup.first.join(", ")} MiB; restart ${startup.restart.join(", ")} MiB`);
    const raw = await started(startRaw(DATABASE_URL, 5053, POOL_SIZE, fixture.workspaceId, fixture.apiKeyId));
    // Counting statements per request costs the server some speed (see SQL_STATEMENTS_HEADER), so
    // a second instance counts them and the measured one runs as it runs in production.
    const counting = await started(startOurs(DATABASE_URL, 5055, POOL_SIZE, { name: "counting", env: { SQL_STATEMENTS_HEADER: "true" } }));
    const systems: Record<SystemKey, System> = {
      ours: await started(startOurs(DATABASE_URL, 5051, POOL_SIZE)),
      pglite: await started(startOurs(PGLITE_DIR, 5054, POOL_SIZE, { name: SYSTEMS.pglite })),
      postgraphile: await started(startPostGraphile(DATABASE_URL, 5052, POOL_SIZE)),
      floor: raw,
      text: raw,
    };
    const all = scenarios(fixture, lite);
    await verifySameRows(systems, all.find((s) => s.name === "nested list (first: 50)")!);
    const only = process.env.BENCH_ONLY;
    for (const scenario of all.filter((s) => !only || s.name.includes(only))) {
      const keys = Object.keys(scenario.loads) as SystemKey[];
      sql[scenario.name] = {};
      for (const key of keys) {
        // The embedded database runs the same code, so the same statements.
        if (key === "pglite") continue;
        const counter = key === "ours" ? counting : systems[key];
        // Counted once warm: caches (program ids, compiled operations, statements) are filled by then.
        await drive(counter.port, scenario.loads[key]!, 1, 1);
        sql[scenario.name]![key] = await sqlPerRequest(counter, scenario.loads[key]!);
      }
      for (const connections of LEVELS) {
        for (let repetition = 0; repetition < REPETITIONS; repetition++) {
          for (const key of rotate(keys, repetition)) {
            const system = systems[key];
            const load = scenario.loads[key]!;
            system.resetPeakMemory();
            await drive(system.port, load, connections, WARMUP);
            const figures: Figures = await drive(system.port, load, connections, DURATION);
            const run: Run = { scenario: scenario.name, system: SYSTEMS[key], connections, repetition, ...figures, peakMemoryMiB: system.peakMemoryMiB() };
            runs.push(run);
            console.log(
              `  ${scenario.name.padEnd(38)} ${run.system.padEnd(27)} c=${String(connections).padEnd(3)} #${repetition + 1} ` +
                `${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  RSS ${run.peakMemoryMiB} MiB  errors ${run.errors}`,
            );
          }
        }
      }
    }
  } finally {
    await Promise.all(startedSystems.filter((s, i, xs) => xs.indexOf(s) === i).map((s) => s.stop()));
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const { rows: version } = await client.query("SHOW server_version");
  await client.end();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: String(version[0].server_version),
    duration: DURATION,
    warmup: WARMUP,
    repetitions: REPETITIONS,
    dataset: DATASET,
    ledgerHistory: { entries: LEDGER_HEAVY.entries, sumOverWholeHistoryMs: Number(fixture.historySumMs!.toFixed(1)) },
    date: new Date().toISOString().slice(0, 10),
  };
  writeFileSync(new URL("chart.svg", import.meta.url), renderChart(runs));
  writeFileSync(new URL("RESULTS.md", import.meta.url), renderResults(runs, sql, startup!, machine));
  console.log("\n  wrote bench/RESULTS.md and bench/chart.svg");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
