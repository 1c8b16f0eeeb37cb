// npm run bench:import: how fast the command line imports a seed system's participants into
// PostgreSQL (SPEC §11), next to PostgreSQL's own COPY of the same rows into the same tables in
// the same run, and how much memory the command takes as the file grows. Each repetition
// imports each file into a fresh workspace; the floors COPY the same rows into fresh workspaces
// of the same database: once as the tables are (their history triggers fire, as for every
// write), once with triggers off (the raw floor no write path of the product can reach).
// Prints and writes bench/IMPORT.md. Not part of npm test.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { scopeToWorkspace } from "../src/auth/tenant-scope.js";
import { commandLineCaller } from "../src/cli/import-command.js";
import { defineCustomField } from "../src/services/custom-field.js";
import { programService } from "../src/services/program.js";
import { createWorkspace } from "../src/services/workspace.js";
import { median, range } from "./measure.js";

const BASE_URL = process.env.BENCH_BASE_URL ?? "postgresql://postgres@127.0.0.1:5432";
const DATABASE = "pg_bench_import";
const DATABASE_URL = `${BASE_URL}/${DATABASE}`;
const SIZES = (process.env.BENCH_IMPORT_ROWS ?? "10000,100000").split(",").map(Number);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const BIN = fileURLToPath(new URL("../bin/participant-graph.js", import.meta.url));

/** Ten custom fields, as a seed system's participants have them. */
const FIELDS = [
  ["company", "TEXT"], ["jobTitle", "TEXT"], ["city", "TEXT"], ["notes", "TEXT"], ["points", "NUMBER"], ["visits", "NUMBER"], ["spend", "NUMBER"],
  ["tier", "SELECT"], ["member", "BOOLEAN"], ["joined", "DATE"],
] as const;
const TIERS = ["gold", "silver", "bronze"];

function valueOf(field: string, i: number): string | number | boolean {
  switch (field) {
    case "points": return i % 1000;
    case "visits": return i % 37;
    case "spend": return (i % 500) * 1.25;
    case "tier": return TIERS[i % 3]!;
    case "member": return i % 2 === 0;
    case "joined": return `2025-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`;
    default: return `${field} ${i}, with a comma`;
  }
}

const csvCell = (value: unknown) => {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The participants file the command line reads. */
function writeCsv(path: string, rows: number): void {
  const header = ["externalId", "person.externalId", "person.firstName", "person.lastName", "person.email", ...FIELDS.map(([key]) => `customFields.${key}`)];
  const lines = [header.join(",")];
  for (let i = 1; i <= rows; i++) {
    lines.push([`m${i}`, `p${i}`, `First${i}`, `Last${i}`, `p${i}@example.com`, ...FIELDS.map(([key]) => csvCell(valueOf(key, i)))].join(","));
  }
  writeFileSync(path, lines.join("\n") + "\n");
}

/** The same rows as COPY takes them, for one workspace and program: three tab-separated files. */
function writeCopyFiles(dir: string, rows: number, workspaceId: string, programId: string, fieldIds: Record<string, string>): string[] {
  const tsv = (v: unknown) => String(v).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
  const persons: string[] = [];
  const participants: string[] = [];
  const values: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const personId = randomUUID();
    const participantId = randomUUID();
    persons.push([personId, workspaceId, `p${i}`, `First${i}`, `Last${i}`, `p${i}@example.com`].join("\t"));
    participants.push([participantId, workspaceId, programId, personId, i, `m${i}`].join("\t"));
    for (const [key] of FIELDS) values.push([workspaceId, participantId, fieldIds[key], tsv(JSON.stringify(valueOf(key, i)))].join("\t"));
  }
  const files = ["person", "participant", "custom_field_value"].map((t) => join(dir, `${t}-${workspaceId}.tsv`));
  writeFileSync(files[0]!, persons.join("\n") + "\n");
  writeFileSync(files[1]!, participants.join("\n") + "\n");
  writeFileSync(files[2]!, values.join("\n") + "\n");
  return files;
}

/** A fresh workspace with the program "club" and its ten fields. */
async function freshWorkspace(db: Awaited<ReturnType<typeof openDatabase>>) {
  const { workspace } = await createWorkspace(db.prisma, `bench ${randomUUID()}`);
  const scoped = scopeToWorkspace(db.prisma, workspace.id) as never;
  const caller = commandLineCaller(workspace.id);
  const program = await programService({ db: scoped, caller } as never).create({ key: "club", name: "Club" });
  const fieldIds: Record<string, string> = {};
  for (const [key, type] of FIELDS) {
    const options = type === "SELECT" ? TIERS.map((value) => ({ value, label: value })) : undefined;
    fieldIds[key] = (await defineCustomField(scoped, caller, { programId: program.id }, { key, label: key, type, required: false, options } as never)).id;
  }
  return { workspaceId: workspace.id, programId: program.id, fieldIds };
}

/** Runs the command line's import; its time and peak resident memory (GNU time's maximum RSS). */
function cliImport(file: string, workspaceId: string): Promise<{ seconds: number; rssMiB: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "maxrss-kib=%M", process.execPath, BIN, "import", "participants", file, "--program", "club", "--workspace", workspaceId, "--json"], {
      env: { ...process.env, DATABASE_URL, PROGRESS_SECONDS: "3600" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rss = /maxrss-kib=(\d+)/.exec(output);
      if (code !== 0 || !rss) return reject(new Error(`import failed (${code}):\n${output}`));
      resolve({ seconds, rssMiB: Number(rss[1]) / 1024, output });
    });
  });
}

/** COPY of the three files in one transaction through psql; `triggers: false` sets session_replication_role = replica. */
function copyFloor(files: string[], triggers: boolean): number {
  const columns = ["person (id, workspace_id, external_id, first_name, last_name, email)", "participant (id, workspace_id, program_id, person_id, serial_number, external_id)", "custom_field_value (workspace_id, participant_id, field_id, value)"];
  const script = [...(triggers ? [] : ["SET session_replication_role = replica;"]), ...columns.map((c, i) => `\\copy ${c} FROM '${files[i]}'`)].join("\n");
  const started = performance.now();
  const result = spawnSync("psql", ["-q", "-v", "ON_ERROR_STOP=1", "-1", DATABASE_URL], { input: script, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`COPY failed: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}


async function main() {
  const admin = new pg.Client({ connectionString: `${BASE_URL}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const db = await openDatabase({ kind: "postgres", url: DATABASE_URL, poolSize: 2 });
  await migrate(db.driver);
  const dir = mkdtempSync(join(tmpdir(), "bench-import-"));
  const results: { rows: number; cli: number[]; floor: number[]; raw: number[]; ratio: number[]; rawRatio: number[]; rss: number[] }[] = [];
  try {
    for (const rows of SIZES) {
      const file = join(dir, `participants-${rows}.csv`);
      writeCsv(file, rows);
      const r = { rows, cli: [] as number[], floor: [] as number[], raw: [] as number[], ratio: [] as number[], rawRatio: [] as number[], rss: [] as number[] };
      for (let rep = 0; rep < REPETITIONS; rep++) {
        // The order rotates, so that neither side always runs on a warmer or fuller database.
        const steps = [
          async () => {
            const target = await freshWorkspace(db);
            const run = await cliImport(file, target.workspaceId);
            const summary = JSON.parse(run.output.split("\n").find((l) => l.startsWith("{"))!);
            if (summary.created !== rows) throw new Error(`imported ${summary.created} of ${rows}: ${run.output}`);
            r.cli.push(rows / run.seconds);
            r.rss.push(run.rssMiB);
          },
          async () => {
            const target = await freshWorkspace(db);
            r.floor.push(rows / copyFloor(writeCopyFiles(dir, rows, target.workspaceId, target.programId, target.fieldIds), true));
          },
          async () => {
            const target = await freshWorkspace(db);
            r.raw.push(rows / copyFloor(writeCopyFiles(dir, rows, target.workspaceId, target.programId, target.fieldIds), false));
          },
        ];
        for (let s = 0; s < steps.length; s++) await steps[(s + rep) % steps.length]!();
        r.ratio.push(r.cli.at(-1)! / r.floor.at(-1)!);
        r.rawRatio.push(r.cli.at(-1)! / r.raw.at(-1)!);
        console.log(`${rows} rows, repetition ${rep + 1}: import ${r.cli.at(-1)!.toFixed(0)} rows/s (${r.rss.at(-1)!.toFixed(0)} MiB), COPY ${r.floor.at(-1)!.toFixed(0)} rows/s, COPY without triggers ${r.raw.at(-1)!.toFixed(0)} rows/s`);
      }
      results.push(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }

  const table = [
    "| participants (10 custom fields each) | import, rows/s | COPY, same tables, rows/s | import ÷ COPY | COPY without triggers, rows/s | import ÷ that | import's peak RSS, MiB |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) => `| ${r.rows.toLocaleString("en")} | ${range(r.cli)} | ${range(r.floor)} | ${range(r.ratio, 2)} | ${range(r.raw)} | ${range(r.rawRatio, 2)} | ${range(r.rss)} |`),
  ].join("\n");
  const report = `# Import: the command line against PostgreSQL's COPY

\`npm run bench:import\` (${new Date().toISOString().slice(0, 10)}, ${REPETITIONS} repetitions, order rotated; medians with min–max; ratios within each repetition).
PostgreSQL on this machine, \`participant-graph import participants FILE.csv\` (a person and a participant per row, with ten custom
fields: four text, three number, a select, a boolean and a date), each into a fresh workspace of the same database. The floors COPY
the same rows (person, participant and custom_field_value rows, ids made in advance) in one transaction through psql: as the tables
are, where every row's history trigger fires as it does for any write, and with triggers off (\`session_replication_role = replica\`),
which no write path of the product may use. Rows/s counts participants.

${table}

Peak RSS is GNU time's maximum resident set of the whole command (Node, the schema, Prisma, one batch being written and one
being read).
`;
  writeFileSync(new URL("./IMPORT.md", import.meta.url), report);
  console.log("\n" + table);
}

await main();
