import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopeToWorkspace } from "../src/auth/tenant-scope.js";
import { openDatabase } from "../src/db/client.js";
import { commandLineCaller } from "../src/cli/import-command.js";
import { startProgress } from "../src/cli/progress.js";
import { defineCustomField } from "../src/services/custom-field.js";
import { programService } from "../src/services/program.js";
import { runCli } from "./support/cli.js";
import { isolatedEnv } from "./support/isolated.js";

// SPEC §11: the command line streams files through the same import as the API. Each test runs
// the real binary against a database of its own; between runs the test opens that database
// itself to set it up and to look at what landed (the embedded database has one user at a time).
let env: Record<string, string>;
let cleanup: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ env, cleanup } = await isolatedEnv());
  dir = mkdtempSync(join(tmpdir(), "pg-import-"));
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = env.DATABASE_URL ? await openDatabase({ kind: "postgres", url: env.DATABASE_URL, poolSize: 2 }) : await openDatabase({ kind: "pglite", dataDir: env.DATA_DIR! });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A workspace of its own, with a program and fields of every kind an import fills. */
async function workspace(programKey = "club") {
  const { workspaceId } = JSON.parse((await runCli(["workspace", "create", "Import", "--json"], env)).stdout);
  await withDatabase(async (db) => {
    const scoped = scopeToWorkspace(db.prisma, workspaceId) as never;
    const caller = commandLineCaller(workspaceId);
    const program = await programService({ db: scoped, caller } as never).create({ key: programKey, name: "Club" });
    const field = (key: string, type: string, extra: object = {}) => defineCustomField(scoped, caller, { programId: program.id }, { key, label: key, type, required: false, ...extra } as never);
    await field("tier", "SELECT", { required: true, options: [{ value: "gold", label: "Gold" }, { value: "silver", label: "Silver" }] });
    await field("points", "NUMBER");
    await field("langs", "MULTI_SELECT", { options: [{ value: "en", label: "English" }, { value: "fr", label: "French" }] });
    await field("joined", "DATE");
    await field("member", "BOOLEAN");
    await defineCustomField(scoped, caller, "person", { key: "shoe", label: "Shoe", type: "NUMBER", required: false } as never);
  });
  return workspaceId as string;
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("import on the command line", () => {
  it("reads a CSV with quoted commas, line breaks in cells, a byte order mark and UTF-8 names; bad rows go to the errors file by line", async () => {
    const ws = await workspace();
    const csv = file(
      "people.csv",
      "\uFEFFexternalId,firstName,lastName,email,tags,attributes.plan,attributes.note,location.city,identities.crm,customFields.shoe\r\n" +
        'p1,"Zoë, Jr.",Ødegård,zoe@example.com,vip;beta,pro,"line one\r\nline two",Tromsø,c-1,42\r\n' +
        'p2,"Ünal","O""Brien",not-an-email,,,,,,\r\n' +
        "p3,Łucja,Nowak,,,\"5\",,,,forty\r\n" +
        "p4,Søren,Kierkegaard,,,,,København,,\r\n",
    );
    const errors = join(dir, "people-errors.csv");
    const run = await runCli(["import", "people", csv, "--workspace", ws, "--errors", errors], env);
    expect(run.stdout).toContain("created 2, updated 0, unchanged 0, failed 2");
    expect(run.code).toBe(3);
    // Lines as an editor shows them: p1's record takes lines 2 and 3.
    expect(readFileSync(errors, "utf8")).toBe("line,externalId,path,message\n4,p2,email,Not a valid e-mail address.\n5,p3,customFields.shoe,Expected a finite number.\n");

    const stored = await withDatabase((db) => db.prisma.person.findMany({ where: { workspaceId: ws }, orderBy: { externalId: "asc" }, include: { attributes: true, identities: true, fieldValues: true } }));
    expect(stored.map((p) => p.externalId)).toEqual(["p1", "p4"]);
    expect(stored[0]).toMatchObject({ firstName: "Zoë, Jr.", lastName: "Ødegård", email: "zoe@example.com", tags: ["beta", "vip"], location: { city: "Tromsø" } });
    expect(Object.fromEntries(stored[0]!.attributes.map((a) => [a.key, a.value]))).toEqual({ plan: "pro", note: "line one\r\nline two" });
    expect(stored[0]!.identities.map((i) => i.externalId)).toEqual(["c-1"]);
    expect(stored[0]!.fieldValues.map((v) => v.value)).toEqual([42]);
    expect(stored[1]).toMatchObject({ firstName: "Søren", location: { city: "København" } });

    // The same file again: nothing changes, nothing is written.
    const again = await runCli(["import", "people", csv, "--workspace", ws, "--json"], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: 2, interrupted: false });
    const versions = await withDatabase((db) => db.prisma.person.findMany({ where: { workspaceId: ws }, select: { version: true } }));
    expect(versions.map((v) => v.version)).toEqual([1, 1]);
  });

  it("writes nothing on --dry-run, and refuses a file with columns it does not know", async () => {
    const ws = await workspace();
    const csv = file("dry.csv", "externalId,firstName\nd1,Dry\n");
    const dry = await runCli(["import", "people", csv, "--workspace", ws, "--dry-run", "--json"], env);
    expect(JSON.parse(dry.stdout)).toMatchObject({ created: 1 });
    expect(await withDatabase((db) => db.prisma.person.count({ where: { workspaceId: ws } }))).toBe(0);
    const unknown = await runCli(["import", "people", file("bad.csv", "externalId,shoeSize,attributes,location.planet\nx,1,2,3\n"), "--workspace", ws], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown columns: shoeSize, attributes, location.planet");
  });
});

/** Starts an import of `file` and resolves with the child once its progress lines show `atLeast` rows done. */
function importUntil(file: string, workspace: string, atLeast: number, total: number) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/participant-graph.js", import.meta.url)), "import", "participants", file, "--workspace", workspace, "--program", "club"], {
    env: { ...process.env, ...env, PROGRESS_SECONDS: "0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const reached = new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += chunk;
      if ([...err.matchAll(/: (\d+) rows/g)].some((m) => Number(m[1]) >= atLeast && Number(m[1]) < total)) resolve();
    });
    closed.then(() => reject(new Error(`the import ended first:\n${err}`)));
  });
  return { child, reached, closed, stdout: () => stdout };
}

/** A participants file of `n` rows touching every kind of column. */
function participantsCsv(n: number): string {
  const lines = ["externalId,status,tags,attributes.seat,customFields.tier,customFields.points,customFields.langs,customFields.joined,customFields.member,person.externalId,person.firstName,person.lastName,person.email,person.customFields.shoe,person.attributes.vip,person.identities.crm"];
  for (let i = 1; i <= n; i++) {
    lines.push(
      [`m${i}`, i % 7 === 0 ? "SUSPENDED" : "ACTIVE", i % 2 ? "a;b" : "", `"${i}, row"`, i % 3 ? "gold" : "silver", String(i * 1.5), i % 2 ? "en;fr" : "en", "2026-01-02", i % 2 ? "true" : "false", `p${i}`, `Ñame ${i}`, "Lästname", `m${i}@example.com`, String(36 + (i % 10)), i % 5 ? "" : "true", i % 4 ? "" : `c${i}`].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

describe("progress", () => {
  it("draws a bar with rows, rows/s and the time left on a terminal", async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
    let text = "";
    (out as unknown as PassThrough).on("data", (d) => (text += d));
    const progress = startProgress("import people", 1000, out);
    progress.update(500, 250);
    await new Promise((resolve) => setTimeout(resolve, 150));
    progress.update(600, 300);
    progress.stop();
    expect(text).toMatch(/import people \[.*\] \d+% \| 300 rows \| \d+ rows\/s \| ETA/);
  });
});

describe("export and import", () => {
  it("round-trips: export → import into an empty workspace → export gives the same file, CSV and JSON lines, people and participants", async () => {
    const source = await workspace();
    await runCli(["import", "participants", file("seed.csv", participantsCsv(40)), "--workspace", source, "--program", "club"], env);
    // Values a CSV could misread: strings that look like JSON, an empty string, nested JSON.
    const tricky = file("tricky.jsonl", [
      JSON.stringify({ externalId: "p1", attributes: { looksNumeric: "5", empty: "", truth: "true", nested: { a: [1, "x"] } }, consent: { emailOptIn: true }, score: 7, signedUpAt: "2026-03-04T05:06:07.089Z", type: "USER" }),
    ].join("\n"));
    expect((await runCli(["import", "people", tricky, "--workspace", source], env)).code).toBe(0);

    for (const [kind, format] of [["people", "csv"], ["people", "jsonl"], ["participants", "csv"], ["participants", "jsonl"]] as const) {
      const target = await workspace();
      const program = kind === "participants" ? ["--program", "club"] : [];
      const first = join(dir, `${kind}-first.${format}`);
      const second = join(dir, `${kind}-second.${format}`);
      expect((await runCli(["export", kind, "--workspace", source, "--format", format, "--out", first, ...program], env)).code).toBe(0);
      const imported = await runCli(["import", kind, first, "--workspace", target, "--json", ...program], env);
      expect(JSON.parse(imported.stdout), `${kind} ${format}`).toMatchObject({ failed: 0, created: 40 });
      expect((await runCli(["export", kind, "--workspace", target, "--format", format, "--out", second, ...program], env)).code).toBe(0);
      expect(readFileSync(second, "utf8"), `${kind} ${format}`).toBe(readFileSync(first, "utf8"));
      // And into the workspace it came from: nothing to do.
      expect(JSON.parse((await runCli(["import", kind, first, "--workspace", source, "--json", ...program], env)).stdout)).toMatchObject({ unchanged: 40, created: 0, updated: 0 });
    }
    const jsonl = readFileSync(join(dir, "people-first.jsonl"), "utf8").split("\n");
    expect(JSON.parse(jsonl[0]!)).toMatchObject({ externalId: "p1", attributes: { looksNumeric: "5", empty: "", truth: "true", nested: { a: [1, "x"] } } });
  }, 240_000);

  it("an import killed halfway and run again ends where an uninterrupted one does", async () => {
    const rows = 3_000;
    const csv = file("big.csv", participantsCsv(rows));
    const whole = await workspace();
    expect(JSON.parse((await runCli(["import", "participants", csv, "--workspace", whole, "--program", "club", "--json"], env)).stdout)).toMatchObject({ created: rows, failed: 0 });

    const stopped = await workspace();
    // Killed (no chance to finish its batch) once some batches have landed and before the end.
    const killed = importUntil(csv, stopped, 1_000, rows);
    await killed.reached;
    killed.child.kill("SIGKILL");
    await killed.closed;
    const landed = await withDatabase((db) => db.prisma.participant.count({ where: { workspaceId: stopped } }));
    expect(landed).toBeGreaterThan(0);
    expect(landed).toBeLessThan(rows);

    const rerun = JSON.parse((await runCli(["import", "participants", csv, "--workspace", stopped, "--program", "club", "--json"], env)).stdout);
    expect(rerun).toMatchObject({ unchanged: landed, created: rows - landed, failed: 0 });
    const exported = async (ws: string, name: string) => {
      const out = join(dir, name);
      await runCli(["export", "participants", "--workspace", ws, "--program", "club", "--format", "jsonl", "--out", out], env);
      return readFileSync(out, "utf8");
    };
    expect(await exported(stopped, "stopped.jsonl")).toBe(await exported(whole, "whole.jsonl"));
  }, 240_000);

  it("stopped with Ctrl-C, finishes the batch it is writing, says so, and exits 130", async () => {
    const rows = 3_000;
    const csv = file("stop.csv", participantsCsv(rows));
    const ws = await workspace();
    const run = importUntil(csv, ws, 1_000, rows);
    await run.reached;
    run.child.kill("SIGINT");
    expect(await run.closed).toBe(130);
    expect(run.stdout()).toContain("Run the same command again to finish");
    // Whole batches only: nothing half-written.
    const landed = await withDatabase((db) => db.prisma.participant.count({ where: { workspaceId: ws } }));
    expect(landed % 1_000).toBe(0);
    expect(landed).toBeGreaterThanOrEqual(1_000);
  }, 120_000);
});
