import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { SCOPES, type ScopeName } from "./auth/api-key.js";
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";
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

async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
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
