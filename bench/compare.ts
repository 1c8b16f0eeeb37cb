// npm run bench:compare -- <checkout>: this checkout's server against another checkout's (a
// `git worktree` of an earlier commit, installed with `npm ci`), both on the bench's PostgreSQL
// dataset, driven in alternating pairs whose order flips each time. Prints each pair and the
// median ratio: how one change is measured before it is kept (bench/CHANGES.md).
// BENCH_ONLY picks scenarios by name, BENCH_CONNECTIONS the levels, BENCH_REPETITIONS the pairs.
import { resolve } from "node:path";
import { DATABASE_URL, preparePostgres, type Fixture } from "./fixture.js";
import { drive, median, range } from "./measure.js";
import { scenarios } from "./scenarios.js";
import { startOurs, type System } from "./systems.js";

const other = process.argv[2];
if (!other) {
  console.error("usage: npm run bench:compare -- <path of another checkout>");
  process.exit(2);
}
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const PAIRS = Number(process.env.BENCH_REPETITIONS ?? 3);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map(Number);
const ONLY = process.env.BENCH_ONLY ?? "first: 50";

async function main() {
  const fixture: Fixture = await preparePostgres();
  const systems: System[] = [];
  try {
    const here = await startOurs(DATABASE_URL, 5071, 10, { name: "this checkout" });
    systems.push(here);
    const there = await startOurs(DATABASE_URL, 5072, 10, { name: other, bin: resolve(other, "bin/participant-graph.js") });
    systems.push(there);
    for (const scenario of scenarios(fixture, fixture).filter((s) => s.name.includes(ONLY))) {
      const load = scenario.loads.ours!;
      for (const connections of LEVELS) {
        const ratios: number[] = [];
        const memory: [number[], number[]] = [[], []];
        for (let pair = 0; pair < PAIRS; pair++) {
          const rps: number[] = [];
          const p99: number[] = [];
          for (const [i, system] of (pair % 2 ? [there, here] : [here, there]).entries()) {
            system.resetPeakMemory();
            await drive(system.port, load, connections, WARMUP);
            const figures = await drive(system.port, load, connections, DURATION);
            rps[system === here ? 0 : 1] = figures.rps;
            p99[system === here ? 0 : 1] = figures.p99;
            memory[system === here ? 0 : 1].push(system.peakMemoryMiB());
            if (figures.errors) console.log(`  ${system.name}: ${figures.errors} errors (run ${i})`);
          }
          ratios.push(rps[0]! / rps[1]!);
          console.log(`  ${scenario.name} c=${connections} pair ${pair + 1}: this ${rps[0]!.toFixed(0)} req/s (p99 ${p99[0]} ms), other ${rps[1]!.toFixed(0)} req/s (p99 ${p99[1]} ms), ${ratios.at(-1)!.toFixed(2)}×`);
        }
        console.log(
          `${scenario.name} c=${connections}: this ÷ other ${range(ratios, 2)} (median ${median(ratios).toFixed(2)}×); ` +
            `peak RSS ${range(memory[0])} vs ${range(memory[1])} MiB`,
        );
      }
    }
  } finally {
    await Promise.all(systems.map((s) => s.stop()));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
