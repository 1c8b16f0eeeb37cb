import { existsSync, readFileSync } from "node:fs";
import { median, range, type Figures } from "./measure.js";

/** One measured run: one system, one scenario, one connection level, one repetition. */
export interface Run extends Figures {
  scenario: string;
  system: string;
  connections: number;
  repetition: number;
  peakMemoryMiB: number;
}

const OURS = "participant-graph";
const PEERS = { postgraphile: "PostGraphile 5", floor: "raw pg floor", text: "raw text floor", pglite: "participant-graph (PGlite)" };
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const unique = <T>(xs: T[]) => [...new Set(xs)];

const runsOf = (runs: Run[], scenario: string, system: string, connections: number) =>
  runs.filter((r) => r.scenario === scenario && r.system === system && r.connections === connections);

/** `a ÷ b` of one figure, repetition by repetition; undefined when either did not run. */
function ratios(runs: Run[], scenario: string, connections: number, a: string, b: string, figure: (r: Run) => number = (r) => r.rps): number[] | undefined {
  const mine = runsOf(runs, scenario, a, connections);
  const theirs = runsOf(runs, scenario, b, connections);
  if (!mine.length || !theirs.length) return undefined;
  return mine.flatMap((r) => {
    const peer = theirs.find((t) => t.repetition === r.repetition);
    return peer ? [figure(r) / figure(peer)] : [];
  });
}

const ratioCell = (xs: number[] | undefined) => (xs ? `${range(xs, 2)}×` : "–");

interface Target {
  what: string;
  values: number[] | undefined;
  /** Met when the median is at least (or, with `atMost`, at most) this. */
  bound: number;
  atMost?: boolean;
}

function targets(runs: Run[]): Target[] {
  const list = (n: number) => `nested list (first: ${n})`;
  const peak = (system: string) => Math.max(...runs.filter((r) => r.system === system).map((r) => r.peakMemoryMiB));
  const all: Target[] = [
    { what: "first: 50, c=32: ÷ raw pg floor", values: ratios(runs, list(50), 32, OURS, PEERS.floor), bound: 1.0 },
    { what: "first: 50, c=32: p99 ÷ floor's p99", values: ratios(runs, list(50), 32, OURS, PEERS.floor, (r) => r.p99), bound: 1.3, atMost: true },
    ...[1, 32].flatMap((c) => [
      { what: `first: 1, c=${c}: ÷ PostGraphile`, values: ratios(runs, list(1), c, OURS, PEERS.postgraphile), bound: 1.2 },
      { what: `by externalId, c=${c}: ÷ PostGraphile`, values: ratios(runs, "participant by externalId", c, OURS, PEERS.postgraphile), bound: 1.2 },
    ]),
    { what: "first: 100, c=32: ÷ PostGraphile", values: ratios(runs, list(100), 32, OURS, PEERS.postgraphile), bound: 2.5 },
    ...["updateParticipant", "setAttributes", "postLedgerEntry"].flatMap((w) =>
      [1, 32].map((c) => ({ what: `${w}, c=${c}: ÷ raw pg floor`, values: ratios(runs, w, c, OURS, PEERS.floor), bound: 0.5 })),
    ),
  ];
  if (runs.some((r) => r.system === PEERS.postgraphile)) {
    all.push({ what: "peak RSS over all runs ÷ PostGraphile's", values: [peak(OURS) / peak(PEERS.postgraphile)], bound: 1.0, atMost: true });
  }
  return all;
}

export function renderResults(
  runs: Run[],
  sql: Record<string, Record<string, number | undefined>>,
  startup: { first: number[]; restart: number[] },
  machine: Record<string, unknown>,
): string {
  const scenarios = unique(runs.map((r) => r.scenario));
  const levels = unique(runs.map((r) => r.connections));
  const systemKeyOf = (system: string) => (system === OURS ? "ours" : Object.entries(PEERS).find(([, name]) => name === system)?.[0]);
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); every figure below comes from the same run, on the same data.",
    `Each system ran each scenario ${machine.repetitions} times per connection level, interleaved (every system once per`,
    "repetition, in an order that rotates), each run after its own warm-up. Figures are medians with min–max; ratios are",
    "taken within a repetition, then their median. Peak RSS starts over for every run. The machine is shared and noisy:",
    "read the ratios and ranges, not single figures.",
    "",
    "## Machine",
    "",
    "```json",
    JSON.stringify(machine, null, 2),
    "```",
    "",
    "## Against the targets",
    "",
    "| target | measured (median, min–max) | bound | met |",
    "|---|---|---|---|",
    ...targets(runs).map((t) => `| ${t.what} | ${ratioCell(t.values)} | ${t.atMost ? "≤" : "≥"} ${t.bound} | ${t.values ? ((t.atMost ? median(t.values) <= t.bound : median(t.values) >= t.bound) ? "yes" : "**no**") : "–"} |`),
    "",
    "## participant-graph against its peers",
    "",
    "| scenario | connections | ÷ PostGraphile 5 | ÷ raw pg floor | ÷ raw text floor | PGlite ÷ PostgreSQL |",
    "|---|---:|---|---|---|---|",
    ...scenarios.flatMap((s) =>
      levels.map(
        (c) =>
          `| ${s} | ${c} | ${ratioCell(ratios(runs, s, c, OURS, PEERS.postgraphile))} | ${ratioCell(ratios(runs, s, c, OURS, PEERS.floor))} | ${ratioCell(ratios(runs, s, c, OURS, PEERS.text))} | ${ratioCell(ratios(runs, s, c, PEERS.pglite, OURS))} |`,
      ),
    ),
    "",
    "![requests per second](chart.svg)",
    "",
    "## Every system",
    "",
    "| scenario | system | connections | req/s | p50 ms | p99 ms | SQL / request | peak RSS MiB | errors |",
    "|---|---|---:|---|---:|---:|---:|---|---:|",
    ...scenarios.flatMap((s) =>
      levels.flatMap((c) =>
        unique(runs.filter((r) => r.scenario === s).map((r) => r.system)).map((system) => {
          const rs = runsOf(runs, s, system, c);
          const statements = sql[s]?.[systemKeyOf(system) ?? ""];
          return `| ${s} | ${system} | ${c} | ${range(rs.map((r) => r.rps))} | ${fmt(median(rs.map((r) => r.p50)))} | ${fmt(median(rs.map((r) => r.p99)))} | ${statements ?? "–"} | ${range(rs.map((r) => r.peakMemoryMiB))} | ${rs.reduce((n, r) => n + r.errors, 0)} |`;
        }),
      ),
    ),
    "",
    "## Memory",
    "",
    "| system | peak RSS over every run, MiB |",
    "|---|---:|",
    ...unique(runs.map((r) => r.system)).map((system) => `| ${system} | ${Math.max(...runs.filter((r) => r.system === system).map((r) => r.peakMemoryMiB))} |`),
    "",
    `First start of the embedded default (\`participant-graph serve\` on an empty folder: template, migrations, demo workspace), peak RSS: ${range(startup.first)} MiB; a restart on the same folder: ${range(startup.restart)} MiB.`,
    "",
    "Notes: participant-graph authenticates every request (an API key, kept for `API_KEY_CACHE_SECONDS`),",
    "scopes it to the caller's workspace and returns every field of the program for each",
    "participant (20 here), with typed values and display values; PostGraphile and the floors do",
    "no authentication. The floors build their JSON in PostgreSQL with no GraphQL at all: the raw pg floor",
    "parses it and writes it out again (JSON.parse and JSON.stringify, as a Node server does), the raw",
    "text floor sends PostgreSQL's text as it is. The floor's writes are the same writes in one transaction",
    "(the writer's name, the update or insert, the custom value or attribute upsert), so the history",
    "triggers do the same work for both. SQL / request for participant-graph is counted at its driver",
    "adapter (X-SQL-Statements); for the peers, by wrapping pg's Client#query. The PGlite rows run",
    "participant-graph on the embedded database, seeded with the same dataset.",
    "",
  ];
  const changes = new URL("CHANGES.md", import.meta.url);
  if (existsSync(changes)) lines.push(readFileSync(changes, "utf8"));
  return lines.join("\n");
}

/** Horizontal bars of median requests per second with their min–max, one group per scenario and level. */
export function renderChart(runs: Run[]): string {
  const colours: Record<string, string> = { [OURS]: "#d6336c", [PEERS.pglite]: "#f783ac", [PEERS.postgraphile]: "#1c7ed6", [PEERS.floor]: "#868e96", [PEERS.text]: "#ced4da" };
  const barHeight = 16;
  const gap = 10;
  const left = 330;
  const width = 980;
  const cells = unique(runs.map((r) => `${r.scenario}\u0000${r.connections}\u0000${r.system}`)).map((key) => {
    const [scenario, connections, system] = key.split("\u0000") as [string, string, string];
    const rs = runsOf(runs, scenario, system, Number(connections));
    const rps = rs.map((r) => r.rps);
    return { scenario, connections: Number(connections), system, median: median(rps), min: Math.min(...rps), max: Math.max(...rps), p99: median(rs.map((r) => r.p99)) };
  });
  const max = Math.max(...cells.map((c) => c.max), 1);
  const scale = (v: number) => Math.max(1, ((width - left - 150) * v) / max);
  let y = 40;
  const parts: string[] = [];
  let group = "";
  for (const c of cells) {
    const label = `${c.scenario}, ${c.connections} conn.`;
    if (label !== group) {
      group = label;
      y += gap;
      parts.push(`<text x="10" y="${y + 12}" font-size="12" font-weight="bold">${label}</text>`);
    }
    const w = scale(c.median);
    parts.push(
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight - 4}" fill="${colours[c.system] ?? "#999"}"/>`,
      `<line x1="${(left + scale(c.min)).toFixed(1)}" x2="${(left + scale(c.max)).toFixed(1)}" y1="${y + 6}" y2="${y + 6}" stroke="black" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${y + 10}" font-size="11" text-anchor="end">${c.system}</text>`,
      `<text x="${left + scale(c.max) + 6}" y="${y + 10}" font-size="11">${fmt(c.median)} req/s (${fmt(c.min)}–${fmt(c.max)}) · p99 ${fmt(c.p99)} ms</text>`,
    );
    y += barHeight;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">Requests per second, median of the repetitions with min–max (higher is better)</text>`,
    ...parts,
    "</svg>",
  ].join("\n");
}
