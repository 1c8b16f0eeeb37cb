import { existsSync, readFileSync } from "node:fs";

export interface Row {
  scenario: string;
  system: string;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  sqlPerRequest: number | undefined;
  peakMemoryMiB: number;
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const OURS = "participant-graph";

function ratio(rows: Row[], scenario: string, connections: number, peer: string): string {
  const ours = rows.find((r) => r.scenario === scenario && r.system === OURS && r.connections === connections);
  const other = rows.find((r) => r.scenario === scenario && r.system === peer && r.connections === connections);
  if (!ours || !other) return "–";
  return `${(ours.requestsPerSecond / other.requestsPerSecond).toFixed(2)}× req/s, p99 ${fmt(ours.p99)} vs ${fmt(other.p99)} ms`;
}

export function renderResults(rows: Row[], machine: Record<string, unknown>): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const levels = [...new Set(rows.map((r) => r.connections))];
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); every figure below comes from the same run, on the same data.",
    "Machines here are shared and noisy: read the ratios, not the absolute figures.",
    "",
    "## Machine",
    "",
    "```json",
    JSON.stringify(machine, null, 2),
    "```",
    "",
    "## Results",
    "",
    "| scenario | system | connections | req/s | p50 ms | p99 ms | SQL / request | peak RSS MiB | errors |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.system} | ${r.connections} | ${fmt(r.requestsPerSecond)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.sqlPerRequest ?? "–"} | ${r.peakMemoryMiB} | ${r.errors} |`,
    ),
    "",
    "## participant-graph against its peers",
    "",
    "| scenario | connections | vs PostGraphile 5 | vs raw pg floor |",
    "|---|---:|---|---|",
    ...scenarios.flatMap((s) => levels.map((c) => `| ${s} | ${c} | ${ratio(rows, s, c, "PostGraphile 5")} | ${ratio(rows, s, c, "raw pg floor")} |`)),
    "",
    "![requests per second](chart.svg)",
    "",
    "Notes: participant-graph authenticates every request (one indexed look-up of the API key),",
    "scopes it to the caller's workspace and returns every field of the program for each",
    "participant (20 here), with typed values and display values; PostGraphile and the floor do",
    "no authentication, and the floor builds its JSON in PostgreSQL with no GraphQL at all.",
    "SQL / request for participant-graph is counted at its driver adapter (X-SQL-Statements);",
    "for the peers, by wrapping pg's Client#query.",
    "",
  ];
  const changes = new URL("CHANGES.md", import.meta.url);
  if (existsSync(changes)) lines.push(readFileSync(changes, "utf8"));
  return lines.join("\n");
}

/** Horizontal bars of requests per second, one group per scenario and connection level. */
export function renderChart(rows: Row[]): string {
  const colours: Record<string, string> = { [OURS]: "#d6336c", "PostGraphile 5": "#1c7ed6", "raw pg floor": "#868e96" };
  const barHeight = 18;
  const gap = 10;
  const left = 330;
  const width = 900;
  const max = Math.max(...rows.map((r) => r.requestsPerSecond), 1);
  let y = 40;
  const parts: string[] = [];
  let group = "";
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const grouped = [...rows].sort(
    (x, y) => scenarios.indexOf(x.scenario) - scenarios.indexOf(y.scenario) || x.connections - y.connections,
  );
  for (const r of grouped) {
    const label = `${r.scenario}, ${r.connections} conn.`;
    if (label !== group) {
      group = label;
      y += gap;
      parts.push(`<text x="10" y="${y + 13}" font-size="12" font-weight="bold">${label}</text>`);
    }
    const w = Math.max(1, ((width - left - 80) * r.requestsPerSecond) / max);
    parts.push(
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight - 4}" fill="${colours[r.system] ?? "#999"}"/>`,
      `<text x="${left - 6}" y="${y + 11}" font-size="11" text-anchor="end">${r.system}</text>`,
      `<text x="${left + w + 6}" y="${y + 11}" font-size="11">${fmt(r.requestsPerSecond)} req/s · p99 ${fmt(r.p99)} ms</text>`,
    );
    y += barHeight;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">Requests per second (higher is better)</text>`,
    ...parts,
    "</svg>",
  ].join("\n");
}
