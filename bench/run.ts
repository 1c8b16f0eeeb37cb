// npm run bench: seeds PostgreSQL, starts participant-graph, PostGraphile 5 and a raw pg floor as
// separate processes, drives each scenario with autocannon at 1 and 32 connections, and prints
// and writes RESULTS.md with a chart. Not part of npm test.
import { cpus, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import autocannon from "autocannon";
import pg from "pg";
import { openDatabase } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createApiKey, createWorkspace } from "../src/services/workspace.js";
import { seed, seedLedgerHistory, DATASET, LEDGER_HEAVY } from "./seed.js";
import { startOurs, startPostGraphile, startRaw, type System } from "./systems.js";
import { renderChart, renderResults, type Row } from "./report.js";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/pg_bench";
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map(Number);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);

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
  ledgerHeavyId: string;
  /** Milliseconds to sum the long ledger's whole history in SQL: what running totals avoid. */
  historySumMs: number;
  programKey: string;
  programId: string;
  participantIds: string[];
  personIds: string[];
  externalIds: string[];
}

async function prepare(): Promise<Fixture> {
  await ensureDatabase();
  const db = await openDatabase({ kind: "postgres", url: DATABASE_URL, poolSize: 2 });
  try {
    await migrate(db.driver);
    let workspace = await db.prisma.workspace.findFirst({ where: { name: "bench" } });
    if (!workspace) {
      workspace = (await createWorkspace(db.prisma, "bench")).workspace;
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await seed(client, workspace.id);
      await client.end();
    } else {
      console.log("  dataset already seeded");
    }
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    const ledgerHeavyId = await seedLedgerHistory(client, workspace.id);
    const sums: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await client.query(`SELECT kind, asset, bucket, sum(amount) FROM ledger_entry WHERE participant_id = $1 GROUP BY 1, 2, 3`, [ledgerHeavyId]);
      sums.push(performance.now() - started);
    }
    await client.end();
    const historySumMs = sums.sort((a, b) => a - b)[3]!;
    const { secret } = await createApiKey(db.prisma, workspace.id, { name: `bench ${new Date().toISOString()}`, scopes: ["write"] });
    const program = await db.prisma.program.findFirstOrThrow({ where: { workspaceId: workspace.id, key: "program-1" } });
    const participants = await db.prisma.participant.findMany({
      where: { programId: program.id },
      orderBy: { serialNumber: "asc" },
      take: 1000,
      select: { id: true, personId: true, externalId: true },
    });
    return {
      apiKey: secret,
      ledgerHeavyId,
      historySumMs,
      programKey: program.key,
      programId: program.id,
      participantIds: participants.map((p) => p.id),
      personIds: participants.map((p) => p.personId),
      externalIds: participants.map((p) => p.externalId!),
    };
  } finally {
    await db.close();
  }
}

interface Request {
  path: string;
  method?: "GET" | "POST";
  body?: (i: number) => string;
}

type Scenario = { name: string; requests: Partial<Record<"ours" | "postgraphile" | "raw", Request>> };

const gql = (query: string, variables: (i: number) => Record<string, unknown>) => (i: number) => JSON.stringify({ query, variables: variables(i) });

function scenarios(f: Fixture): Scenario[] {
  return [
    {
      name: "nested list (first: 50)",
      requests: {
        ours: {
          path: "/graphql",
          body: gql(
            `query($key: String!) { participants(programKey: $key, first: 50) { edges { node { id serialNumber tags attributes person { id firstName lastName email } customFields { key value displayValue } } } } }`,
            () => ({ key: f.programKey }),
          ),
        },
        postgraphile: {
          path: "/graphql",
          body: gql(
            `query($programId: UUID!) { allParticipants(condition: { programId: $programId }, first: 50, orderBy: SERIAL_NUMBER_ASC) { nodes { rowId serialNumber tags attributes personByPersonId { rowId firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
            () => ({ programId: f.programId }),
          ),
        },
        raw: { path: `/list?program=${f.programId}&first=50`, method: "GET" },
      },
    },
    {
      name: "participant by externalId",
      requests: {
        ours: {
          path: "/graphql",
          body: gql(
            `query($key: String!, $ext: String!) { participant(programKey: $key, externalId: $ext) { id serialNumber firstName lastName email customFields { key value } } }`,
            (i) => ({ key: f.programKey, ext: f.externalIds[i % f.externalIds.length] }),
          ),
        },
        postgraphile: {
          path: "/graphql",
          body: gql(
            `query($programId: UUID!, $ext: String!) { allParticipants(condition: { programId: $programId, externalId: $ext }) { nodes { rowId serialNumber personByPersonId { firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
            (i) => ({ programId: f.programId, ext: f.externalIds[i % f.externalIds.length] }),
          ),
        },
      },
    },
    {
      name: "updateParticipant",
      requests: {
        ours: {
          path: "/graphql",
          body: gql(
            `mutation($id: ID!, $n: JSON!) { updateParticipant(id: $id, input: { tags: ["bench"], customFields: [{ key: "field1", value: $n }] }) { id version } }`,
            (i) => ({ id: f.participantIds[i % f.participantIds.length], n: i }),
          ),
        },
      },
    },
    {
      name: `ledger figures (${LEDGER_HEAVY.entries.toLocaleString("en")} entries)`,
      requests: {
        ours: {
          path: "/graphql",
          body: gql(
            `query($id: ID!) { participant(id: $id) { balances { asset bucket amount } counters { name value } financials { currency totalBooked totalPaid totalBalance } ledger(first: 10) { edges { node { kind amount createdAt } } } } }`,
            () => ({ id: f.ledgerHeavyId }),
          ),
        },
      },
    },
    {
      name: "_entities (50 Person representations)",
      requests: {
        ours: {
          path: "/graphql",
          body: gql(
            `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id firstName lastName email } } }`,
            (i) => ({ reps: Array.from({ length: 50 }, (_, j) => ({ __typename: "Person", id: f.personIds[(i + j) % f.personIds.length] })) }),
          ),
        },
      },
    },
  ];
}

async function load(system: System, request: Request, connections: number, duration: number, headers: Record<string, string>) {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${system.port}`,
    connections,
    duration,
    requests: [
      {
        method: request.method ?? "POST",
        path: request.path,
        headers: { "content-type": "application/json", ...headers },
        setupRequest: (req: Record<string, unknown>) => (request.body ? { ...req, body: request.body(i++) } : req),
      },
    ],
  });
  return result;
}

async function sqlPerRequest(system: System, request: Request, headers: Record<string, string>): Promise<number | undefined> {
  const before = await system.statements();
  const response = await fetch(`http://127.0.0.1:${system.port}${request.path}`, {
    method: request.method ?? "POST",
    headers: { "content-type": "application/json", ...headers },
    body: request.body?.(0),
  });
  await response.text();
  const header = response.headers.get("x-sql-statements");
  if (header) return Number(header);
  const after = await system.statements();
  return before === undefined || after === undefined ? undefined : after - before;
}

async function main() {
  console.log(`participant-graph benchmark: ${DURATION}s per run after ${WARMUP}s warm-up, connections ${LEVELS.join(" and ")}`);
  const fixture = await prepare();
  const headers = { ours: { authorization: `Bearer ${fixture.apiKey}` }, postgraphile: {}, raw: {} };
  const systems = {
    ours: await startOurs(DATABASE_URL, 5051, POOL_SIZE),
    postgraphile: await startPostGraphile(DATABASE_URL, 5052, POOL_SIZE),
    raw: await startRaw(DATABASE_URL, 5053, POOL_SIZE),
  };
  const rows: Row[] = [];
  try {
    const only = process.env.BENCH_ONLY;
    for (const scenario of scenarios(fixture).filter((s) => !only || s.name.includes(only))) {
      for (const [key, request] of Object.entries(scenario.requests) as [keyof typeof systems, Request][]) {
        const system = systems[key];
        let sql: number | undefined;
        for (const connections of LEVELS) {
          await load(system, request, connections, WARMUP, headers[key]);
          // Counted once warm: caches (program ids, compiled operations) are filled by then.
          sql ??= await sqlPerRequest(system, request, headers[key]);
          const r = await load(system, request, connections, DURATION, headers[key]);
          const row: Row = {
            scenario: scenario.name,
            system: system.name,
            connections,
            requestsPerSecond: r.requests.average,
            p50: r.latency.p50,
            p99: r.latency.p99,
            errors: r.errors + r.non2xx,
            sqlPerRequest: sql,
            peakMemoryMiB: system.peakMemoryMiB(),
          };
          rows.push(row);
          console.log(
            `  ${scenario.name.padEnd(38)} ${system.name.padEnd(18)} c=${String(connections).padEnd(3)} ` +
              `${row.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  SQL/req ${sql ?? "?"}  errors ${row.errors}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(Object.values(systems).map((s) => s.stop()));
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
    dataset: DATASET,
    ledgerHistory: { entries: LEDGER_HEAVY.entries, sumOverWholeHistoryMs: Number(fixture.historySumMs.toFixed(1)) },
    date: new Date().toISOString().slice(0, 10),
  };
  writeFileSync(new URL("chart.svg", import.meta.url), renderChart(rows));
  writeFileSync(new URL("RESULTS.md", import.meta.url), renderResults(rows, machine));
  console.log("\n  wrote bench/RESULTS.md and bench/chart.svg");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
