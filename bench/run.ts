// npm run bench: seeds PostgreSQL (and the embedded database with the same rows), starts
// participant-graph on each, PostGraphile 5 and a raw pg floor as separate processes, and drives
// every scenario at 1 and 32 connections with autocannon. Systems are interleaved: within each
// repetition every system runs once, in an order that rotates between repetitions, and ratios
// are taken within a repetition. Peak RSS starts over for every run. Prints and writes
// RESULTS.md with a chart. Not part of npm test.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { DATABASE_URL, PGLITE_DIR, preparePglite, preparePostgres } from "./fixture.js";
import { drive, send, type Figures, type Load } from "./measure.js";
import { renderChart, renderResults, type Run } from "./report.js";
import { scenarios, SYSTEMS, type Scenario, type SystemKey } from "./scenarios.js";
import { DATASET, LEDGER_HEAVY } from "./seed.js";
import { startOurs, startPostGraphile, startRaw, type System } from "./systems.js";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map(Number);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);

async function sqlPerRequest(system: System, load: Load): Promise<number | undefined> {
  const before = await system.statements();
  const response = await send(system.port, load);
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
    const response = await send(systems[key].port, load);
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
