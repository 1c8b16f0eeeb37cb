// npm run bench:changes: what change history (SPEC §10) costs. The same server, on two copies
// of the bench dataset: one as migrated (every write records its changes and fills the outbox),
// one with the history triggers dropped (the writes as they were before history). Writes are
// driven interleaved, three repetitions, and compared within each repetition; then the feed is
// read, at the size of the bench's history and at 10 million changes. Prints and writes
// bench/CHANGES-HISTORY.md. Not part of npm test.
import { writeFileSync } from "node:fs";
import pg from "pg";
import { openDatabase } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createApiKey, createWorkspace } from "../src/services/workspace.js";
import { drive as measure, median, range } from "./measure.js";
import { seed } from "./seed.js";
import { startOurs, type System } from "./systems.js";

const BASE_URL = process.env.BENCH_BASE_URL ?? "postgresql://postgres@127.0.0.1:5432";
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map(Number);
const FEED_ROWS = Number(process.env.BENCH_FEED_ROWS ?? 10_000_000);
const DATABASES = { history: "pg_bench_history", before: "pg_bench_no_history" } as const;
const urlOf = (name: string) => `${BASE_URL}/${name}`;

const PART_TABLES = ["person_attribute", "person_field_value", "person_identity", "custom_field_value", "participant_tier"];
const HISTORY_TRIGGERS: [string, string][] = [
  ["person_changes", "person"], ["participant_changes", "participant"], ["program_changes", "program"],
  ["custom_field_changes", "custom_field_definition"], ["attribute_bucket_changes", "attribute_bucket"], ["api_key_changes", "api_key"],
  ["webhook_endpoint_changes", "webhook_endpoint"],
  ...PART_TABLES.flatMap((table) => ["inserted", "updated", "deleted"].map((event): [string, string] => [`${table}_${event}`, table])),
  ["ledger_entry_inserted", "ledger_entry"],
];

interface Fixture {
  apiKey: string;
  programKey: string;
  participantIds: string[];
  personIds: string[];
}

async function sql<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A fresh copy of the bench dataset; without history, its triggers dropped first. */
async function prepare(name: string, history: boolean): Promise<Fixture> {
  await sql(urlOf("postgres"), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await sql(urlOf("postgres"), `CREATE DATABASE ${name}`);
  const db = await openDatabase({ kind: "postgres", url: urlOf(name), poolSize: 2 });
  try {
    await migrate(db.driver);
    if (!history) for (const [trigger, table] of HISTORY_TRIGGERS) await db.query(`DROP TRIGGER ${trigger} ON ${table}`, []);
    const { workspace } = await createWorkspace(db.prisma, "bench");
    const client = new pg.Client({ connectionString: urlOf(name) });
    await client.connect();
    // The dataset is loaded, not written through the API: no history of its own (triggers off
    // for this session only), so both copies start alike.
    await client.query("SET session_replication_role = replica");
    await seed(client, workspace.id);
    await client.query("VACUUM ANALYZE");
    await client.end();
    const { secret } = await createApiKey(db.prisma, workspace.id, { name: "bench", scopes: ["write"] });
    const program = await db.prisma.program.findFirstOrThrow({ where: { workspaceId: workspace.id, key: "program-1" } });
    const participants = await db.prisma.participant.findMany({ where: { programId: program.id }, orderBy: { serialNumber: "asc" }, take: 1000, select: { id: true, personId: true } });
    return { apiKey: secret, programKey: program.key, participantIds: participants.map((p) => p.id), personIds: participants.map((p) => p.personId) };
  } finally {
    await db.close();
  }
}

type Body = (f: Fixture, i: number, run: string) => string;
const gql = (query: string, variables: (f: Fixture, i: number, run: string) => Record<string, unknown>): Body => (f, i, run) => JSON.stringify({ query, variables: variables(f, i, run) });

const WRITES: { name: string; body: Body }[] = [
  {
    name: "updateParticipant",
    body: gql(`mutation($id: ID!, $n: JSON!) { updateParticipant(id: $id, input: { tags: ["bench"], customFields: [{ key: "field1", value: $n }] }) { id version } }`, (f, i) => ({
      id: f.participantIds[i % f.participantIds.length],
      n: i,
    })),
  },
  {
    name: "setAttributes",
    body: gql(`mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id version } }`, (f, i) => ({
      id: f.personIds[i % f.personIds.length],
      a: { score: i, plan: i % 2 ? "pro" : "free" },
    })),
  },
  {
    name: "postLedgerEntry",
    body: gql(`mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id } }`, (f, i, run) => ({
      input: { participantId: f.participantIds[i % f.participantIds.length], kind: "COUNTER", asset: "visits", amount: "1", idempotencyKey: `${run}-${i}` },
    })),
  },
];

function drive(system: System, fixture: Fixture, body: Body, connections: number, seconds: number, run: string) {
  return measure(system.port, { path: "/graphql", headers: { authorization: `Bearer ${fixture.apiKey}` }, body: (i) => body(fixture, i, run) }, connections, seconds);
}

/** A write's statements once warm: the first request also looks its key (and program) up. */
async function statements(system: System, fixture: Fixture, body: Body): Promise<number> {
  let count = 0;
  for (const attempt of ["warm", "count"]) {
    const response = await fetch(`http://127.0.0.1:${system.port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fixture.apiKey}` },
      body: body(fixture, 0, `${attempt}-${Date.now()}`),
    });
    await response.text();
    count = Number(response.headers.get("x-sql-statements"));
  }
  return count;
}


/** Feed pages straight from SQL at 10 million changes: the first page, one from the middle, the last. */
async function feedAtScale(url: string): Promise<string[]> {
  const workspace = "00000000-0000-4000-8000-00000000feed";
  const [{ n }] = await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM change WHERE workspace_id = $1`, [workspace]);
  if (n < FEED_ROWS) {
    console.log(`  writing ${FEED_ROWS.toLocaleString("en")} synthetic changes for the feed…`);
    // Positions as the triggers make them (transaction id × 10^9 + ordinal), below every real one;
    // loaded with triggers off (no outbox to fill for 10 million rows that no endpoint wants).
    const loader = new pg.Client({ connectionString: url });
    await loader.connect();
    await loader.query("SET session_replication_role = replica");
    await loader.query(`INSERT INTO change (workspace_id, position, xid, entity_type, entity_id, operation, fields, source, version, at)
      SELECT $1::uuid, i::numeric, '1'::xid8, 'PERSON', gen_random_uuid(), 'UPDATED',
             '[{"path":["email"],"before":"a@example.com","after":"b@example.com"}]', 'graphql', 2, now()
      FROM generate_series($2::bigint + 1, $3::bigint) AS i`, [workspace, n, FEED_ROWS]);
    await loader.end();
    await sql(url, "VACUUM ANALYZE change");
  }
  const lines: string[] = [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const page = `SELECT id, position::text, entity_type, entity_id, operation, fields, source, version, at FROM change
      WHERE workspace_id = $1 AND position > $2::numeric AND position < (SELECT change_horizon($1::uuid))
      ORDER BY change.position LIMIT 101`;
    await client.query({ name: "feed", text: page, values: [workspace, "0"] });
    for (const [label, after] of [["first page", 0], ["middle", Math.floor(FEED_ROWS / 2)], ["last page", FEED_ROWS - 100]] as const) {
      const times: number[] = [];
      for (let k = 0; k < 200; k++) {
        const started = performance.now();
        await client.query({ name: "feed", text: page, values: [workspace, String(after)] });
        times.push(performance.now() - started);
      }
      lines.push(`| ${label} (after position ${after.toLocaleString("en")}) | ${median(times).toFixed(2)} ms | ${[...times].sort((a, b) => a - b)[197]!.toFixed(2)} ms |`);
    }
    const plan = await client.query(`EXPLAIN ${page.replaceAll("$1", `'${workspace}'`).replace("$2::numeric", `'${Math.floor(FEED_ROWS / 2)}'::numeric`)}`);
    lines.push("", "Plan of a page from the middle:", "", "```", ...plan.rows.map((r) => r["QUERY PLAN"]), "```");
  } finally {
    await client.end();
  }
  return lines;
}

async function main() {
  // BENCH_FEED_ONLY=true: only the feed at scale, on the history database a full run left.
  if (process.env.BENCH_FEED_ONLY === "true") {
    console.log((await feedAtScale(urlOf(DATABASES.history))).join("\n"));
    return;
  }
  console.log(`change history benchmark: ${REPETITIONS} repetitions × ${DURATION}s per run after ${WARMUP}s warm-up, connections ${LEVELS.join(" and ")}`);
  const fixtures = { history: await prepare(DATABASES.history, true), before: await prepare(DATABASES.before, false) };
  // Both count their statements (X-SQL-Statements), which costs each the same.
  const counting = { name: "participant-graph", env: { SQL_STATEMENTS_HEADER: "true" } };
  const systems = { history: await startOurs(urlOf(DATABASES.history), 5071, 10, counting), before: await startOurs(urlOf(DATABASES.before), 5072, 10, counting) };
  const results: string[] = [];
  const table: string[] = [];
  try {
    for (const write of WRITES) {
      const sqlPerRequest = { history: await statements(systems.history, fixtures.history, write.body), before: await statements(systems.before, fixtures.before, write.body) };
      for (const connections of LEVELS) {
        const figures = { history: [] as number[], before: [] as number[], ratio: [] as number[], p99: { history: [] as number[], before: [] as number[] } };
        for (let rep = 0; rep < REPETITIONS; rep++) {
          // The order of the two alternates, so that neither always runs on a warmer machine.
          const order = rep % 2 === 0 ? (["before", "history"] as const) : (["history", "before"] as const);
          const measured: Partial<Record<"history" | "before", number>> = {};
          for (const which of order) {
            const run = `${write.name}-${connections}-${rep}-${which}-${Date.now()}`;
            await drive(systems[which], fixtures[which], write.body, connections, WARMUP, `${run}-warm`);
            const r = await drive(systems[which], fixtures[which], write.body, connections, DURATION, run);
            if (r.errors > 0) throw new Error(`${write.name} on ${which}: ${r.errors} errors`);
            measured[which] = r.rps;
            figures[which].push(r.rps);
            figures.p99[which].push(r.p99);
          }
          figures.ratio.push(measured.history! / measured.before!);
        }
        const line = `| ${write.name} | ${connections} | ${range(figures.before)} | ${range(figures.history)} | ${range(figures.ratio, 2)}× | ${median(figures.p99.before)} / ${median(figures.p99.history)} ms | ${sqlPerRequest.before} / ${sqlPerRequest.history} |`;
        table.push(line);
        console.log(`  ${line}`);
      }
    }
    // The feed over GraphQL, on the history database after the writes above.
    const feed = `query($after: String) { changes(first: 100, after: $after) { pageInfo { endCursor } edges { node { id sequence entityType operation fields { path before after } at } } } }`;
    const r = await drive(systems.history, fixtures.history, () => JSON.stringify({ query: feed, variables: {} }), 32, DURATION, "feed");
    const [{ n }] = await sql<{ n: number }>(urlOf(DATABASES.history), "SELECT count(*)::int AS n FROM change");
    results.push(`Feed over GraphQL (\`changes(first: 100)\`, ${n.toLocaleString("en")} changes in the database), c=32: ${r.rps.toFixed(0)} pages/s = ${(r.rps * 100).toFixed(0)} changes/s, p50 ${r.p50} ms, p99 ${r.p99} ms.`);
    console.log(`  ${results.at(-1)}`);
  } finally {
    await Promise.all(Object.values(systems).map((s) => s.stop()));
  }
  const scale = await feedAtScale(urlOf(DATABASES.history));
  const report = [
    "# What change history costs",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:changes\`: the same server on two copies of the bench dataset, one with`,
    "history (the triggers that record every change and fill the webhook outbox, no endpoint configured), one with those",
    "triggers dropped. Both send the statement that names the writer (actor, source, request id): without history that",
    "statement is the only cost left of SPEC §10 on a write. Requests/s are medians of the repetitions with min–max; the",
    "ratio is computed within each repetition.",
    "",
    "| write | connections | before history (req/s) | with history (req/s) | with ÷ before | p99 before / with | SQL per request before / with |",
    "|---|---|---|---|---|---|---|",
    ...table,
    "",
    ...results,
    "",
    `## The feed at ${FEED_ROWS.toLocaleString("en")} changes in one workspace`,
    "",
    "One page of 100 (101 read) in SQL, 200 times each, prepared:",
    "",
    "| page | median | p99 |",
    "|---|---|---|",
    ...scale,
    "",
  ].join("\n");
  writeFileSync(new URL("CHANGES-HISTORY.md", import.meta.url), report);
  console.log("\n" + report);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
