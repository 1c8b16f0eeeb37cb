import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { SCOPES, type ScopeName } from "./auth/api-key.js";
import { loadConfig } from "./config.js";
import type { ImportSummary } from "./cli/import-command.js";
import { openDatabase, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { changeEvents } from "./events/change-events.js";
import { createLogger } from "./logger.js";
import { createApiKey, createWorkspace, listApiKeys } from "./services/workspace.js";

const USAGE = `Usage: participant-graph <command>

  serve                                   apply migrations and start the server
  migrate                                 apply pending migrations and exit
  workspace create <name> [--json]        create a workspace and its admin API key
  workspace list [--json]                 list the workspaces
  apikey create --workspace <id> [--name <name>] [--scopes read,write,admin]
                [--buckets a,b] [--json]  create an API key in a workspace
  apikey list --workspace <id> [--all] [--json]
                                          list a workspace's keys (--all: revoked ones too)
  apikey revoke <key id>                  revoke a key; it fails from the next request on
  import people|participants FILE [--program KEY] [--workspace ID] [--dry-run] [--errors OUT] [--format csv|jsonl]
                                          upsert rows by external id from CSV or JSON lines; run it
                                          again after a stop to finish (done rows are unchanged)
  export people|participants [--program KEY] [--workspace ID] --format csv|jsonl [--out FILE]
                                          write the rows import reads

Configuration comes from the environment: see .env.example.`;

class UsageError extends Error {}

/** Opens the configured database, brought up to date, for one command. */
async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>, applied: string[]) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig().database);
  try {
    const applied = await migrate(db.driver);
    return await fn(db, applied);
  } finally {
    await db.close();
  }
}

function print(json: boolean, data: Record<string, string>, human: string): void {
  process.stdout.write(json ? JSON.stringify(data) + "\n" : human + "\n");
}

/** The workspace a command works in: the one named, or the only one there is. */
async function workspaceOf(db: Database, given: string | undefined): Promise<string> {
  if (given) {
    if (!(await db.prisma.workspace.findUnique({ where: { id: given } }).catch(() => null))) throw new UsageError(`no workspace ${given}`);
    return given;
  }
  const workspaces = await db.prisma.workspace.findMany({ select: { id: true }, take: 2 });
  if (workspaces.length !== 1) throw new UsageError(workspaces.length ? "several workspaces: name one with --workspace ID (see workspace list)" : "no workspace yet: create one with workspace create <name>");
  return workspaces[0]!.id;
}

function reportImport(summary: ImportSummary, values: { json: boolean; errors?: string; "dry-run": boolean }, file: string): void {
  const { firstFailures, ...counts } = summary;
  if (values.json) {
    process.stdout.write(JSON.stringify(counts) + "\n");
    return;
  }
  const rate = Math.round(summary.rows / Math.max(summary.seconds, 0.001));
  const lines = [
    `${summary.interrupted ? "Stopped" : "Imported"} ${file}${values["dry-run"] ? " (dry run: nothing written)" : ""}: ${summary.rows} rows in ${summary.seconds.toFixed(1)} s (${rate} rows/s)`,
    `  created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, failed ${summary.failed}`,
    ...firstFailures.map((f) => `  line ${f.line}${f.externalId ? ` (${f.externalId})` : ""}: ${f.path ? `${f.path}: ` : ""}${f.message}`),
    ...(summary.failed > firstFailures.length ? [values.errors ? `  every failure is in ${values.errors}` : "  (write every failure to a file with --errors OUT)"] : []),
    ...(summary.interrupted ? ["  Run the same command again to finish: rows already imported come back unchanged."] : []),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  // The server, the import and the export are loaded by the commands that run them: a process
  // holds only the libraries of what it does (see scripts/bundle.mjs).
  const { startServer } = await import("./server.js");
  const running = await startServer(config, logger);
  const graphiql = `${running.url}/graphql`;
  logger.info({ url: graphiql, database: config.database.kind }, "participant-graph is listening");
  const banner = [
    "",
    `  GraphQL and GraphiQL: ${graphiql}`,
    ...(running.demoApiKey
      ? [`  Demo API key:         ${running.demoApiKey}`]
      : [
          "  API key:              none yet? Create a workspace and its admin key with",
          `                        npx participant-graph workspace create "My workspace"`,
          "                        (or start once with SEED_DEMO=true for a demo workspace)",
        ]),
    `  Health: ${running.url}/health · Ready: ${running.url}/ready · Metrics: ${running.url}/metrics`,
    "",
  ];
  // One write, so that nothing reading the output sees half of it.
  process.stdout.write(banner.join("\n") + "\n");
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      workspace: { type: "string" },
      name: { type: "string" },
      scopes: { type: "string" },
      buckets: { type: "string" },
      all: { type: "boolean", default: false },
      program: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      errors: { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, sub, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (!command) throw new UsageError("no command given");
  switch (command) {
    case "serve":
      return serve();
    case "migrate": {
      const applied = await withDatabase(async (_db, applied) => applied);
      process.stdout.write(applied.length ? `Applied: ${applied.join(", ")}\n` : "No pending migrations.\n");
      return;
    }
    case "workspace": {
      if (sub === "list") {
        const workspaces = await withDatabase((db) => db.prisma.workspace.findMany({ orderBy: { createdAt: "asc" } }));
        const lines = workspaces.map((w) => `${w.id}  ${w.createdAt.toISOString()}  ${w.name}`);
        process.stdout.write(values.json ? JSON.stringify(workspaces.map(({ id, name, createdAt }) => ({ id, name, createdAt }))) + "\n" : lines.join("\n") + (lines.length ? "\n" : ""));
        return;
      }
      const name = rest.join(" ");
      if (sub !== "create" || !name) throw new UsageError("workspace create <name> [--json] | workspace list [--json]");
      const { workspace, secret } = await withDatabase((db) => createWorkspace(db.prisma, name));
      print(values.json, { workspaceId: workspace.id, apiKey: secret }, `Workspace ${workspace.id}\nAdmin API key (shown once): ${secret}`);
      return;
    }
    case "apikey": {
      if (sub === "list") {
        const workspaceId = values.workspace;
        if (!workspaceId) throw new UsageError("apikey list --workspace <id> [--all] [--json]");
        const keys = await withDatabase((db) => listApiKeys(db.prisma, workspaceId, values.all));
        const shown = keys.map((k) => ({ id: k.id, name: k.name, scopes: k.scopes, buckets: k.bucketsRestricted ? k.buckets : null, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt }));
        const lines = shown.map((k) => `${k.id}  ${k.scopes.join(",").padEnd(16)} ${k.revokedAt ? "revoked " : "active  "} ${k.name}`);
        process.stdout.write(values.json ? JSON.stringify(shown) + "\n" : lines.join("\n") + (lines.length ? "\n" : ""));
        return;
      }
      if (sub === "revoke") {
        const [id] = rest;
        if (!id) throw new UsageError("apikey revoke <key id>");
        const revoked = await withDatabase(async (db) => {
          const key = await db.prisma.apiKey.findUnique({ where: { id } }).catch(() => null);
          if (!key) throw new UsageError(`no API key ${id}`);
          return key.revokedAt ?? (await db.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } })).revokedAt!;
        });
        // Running servers keep a verified key a few seconds; through Redis they forget it at once.
        const { redisUrl } = loadConfig();
        if (redisUrl) {
          const events = changeEvents(redisUrl);
          events.keyRevoked(id);
          await events.close();
        }
        process.stdout.write(`API key ${id} revoked at ${revoked.toISOString()}\n`);
        return;
      }
      if (sub !== "create" || !values.workspace) throw new UsageError("apikey create --workspace <id> [--name <name>] [--scopes read,write,admin] [--buckets a,b] [--json]");
      const scopes = (values.scopes ?? "read").split(",").map((s) => s.trim().toLowerCase());
      const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
      if (unknown) throw new UsageError(`unknown scope "${unknown}"; use read, write or admin`);
      const workspaceId = values.workspace;
      const { apiKey, secret } = await withDatabase(async (db) => {
        if (!(await db.prisma.workspace.findUnique({ where: { id: workspaceId } }).catch(() => null))) {
          throw new UsageError(`no workspace ${workspaceId}`);
        }
        return createApiKey(db.prisma, workspaceId, {
          name: values.name ?? "cli",
          scopes: scopes as ScopeName[],
          buckets: values.buckets ? values.buckets.split(",").map((b) => b.trim()) : null,
        });
      });
      print(values.json, { apiKeyId: apiKey.id, apiKey: secret }, `API key ${apiKey.id} (${apiKey.scopes.join(", ")}), shown once: ${secret}`);
      return;
    }
    case "import": {
      const [file] = rest;
      if ((sub !== "people" && sub !== "participants") || !file) throw new UsageError("import people|participants FILE [--program KEY] [--workspace ID] [--dry-run] [--errors OUT]");
      if (!existsSync(file)) throw new UsageError(`no file ${file}`);
      // Stopped (Ctrl-C, SIGTERM): the batch being written commits, nothing after it starts.
      const stop = new AbortController();
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
      const summary = await withDatabase(async (db) =>
        (await import("./cli/import-command.js")).runImportCommand(db, { kind: sub, file, workspaceId: await workspaceOf(db, values.workspace), programKey: values.program, dryRun: values["dry-run"], format: values.format, errorsFile: values.errors }, stop.signal),
      );
      reportImport(summary, values, file);
      process.exitCode = summary.interrupted ? 130 : summary.failed > 0 ? 3 : 0;
      return;
    }
    case "export": {
      const format = values.format;
      if ((sub !== "people" && sub !== "participants") || (format !== "csv" && format !== "jsonl")) throw new UsageError("export people|participants [--program KEY] [--workspace ID] --format csv|jsonl [--out FILE]");
      const { rows, seconds } = await withDatabase(async (db) => (await import("./cli/export-command.js")).runExportCommand(db, { kind: sub, workspaceId: await workspaceOf(db, values.workspace), programKey: values.program, format, out: values.out }));
      if (values.out) process.stderr.write(`Exported ${rows} ${sub} to ${values.out} in ${seconds.toFixed(1)} s.\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

// A .env file in the working directory fills in what the environment does not set.
if (existsSync(".env")) process.loadEnvFile(".env");

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`participant-graph: ${error.message}\n\n${USAGE}\n`);
  else process.stderr.write(`participant-graph: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
