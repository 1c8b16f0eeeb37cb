import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startServer, type RunningServer } from "../src/server.js";
import { createWorkspace } from "../src/services/workspace.js";
import { runCli, startCliServer, type Served } from "./support/cli.js";
import { databaseKind } from "./support/harness.js";
import { isolatedEnv } from "./support/isolated.js";

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe("the CLI and the server, as separate processes", () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let served: Served;
  let created: { workspaceId: string; apiKey: string };

  beforeAll(async () => {
    ({ env, cleanup } = await isolatedEnv());
    const result = await runCli(["workspace", "create", "Acme", "Corp", "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    created = JSON.parse(result.stdout);
    served = await startCliServer(env);
  });

  afterAll(async () => {
    if (served && served.child.exitCode === null) {
      served.child.kill("SIGTERM");
      await served.exited;
    }
    await cleanup();
  });

  it("workspace create --json prints exactly one JSON object", () => {
    expect(Object.keys(created).sort()).toEqual(["apiKey", "workspaceId"]);
    expect(created.workspaceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.apiKey).toMatch(/^pgk_/);
  });

  it("answers viewer with that key and refuses a request without one", async () => {
    const ok = await post(served.url, `{ viewer { workspace { id name } } }`, { authorization: `Bearer ${created.apiKey}` });
    expect(ok.status).toBe(200);
    expect(ok.body.data.viewer.workspace).toEqual({ id: created.workspaceId, name: "Acme Corp" });
    const refused = await post(served.url, `{ viewer { workspace { id } } }`);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  // The embedded database belongs to the running server alone, so this needs PostgreSQL.
  it.skipIf(databaseKind === "pglite")("apikey create makes a key with the scopes asked for", async () => {
    const result = await runCli(["apikey", "create", "--workspace", created.workspaceId, "--scopes", "read", "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    const { apiKey } = JSON.parse(result.stdout);
    const viewer = await post(served.url, `{ viewer { apiKey { scopes } } }`, { "x-api-key": apiKey });
    expect(viewer.body.data.viewer.apiKey.scopes).toEqual(["READ"]);
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    expect((await fetch(`${served.url}/health`)).status).toBe(200);
    expect((await fetch(`${served.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    expect(metrics).toContain("graphql_yoga_http_duration");
  });

  it.skipIf(databaseKind === "postgres")("keeps the embedded database to one process: a second one fails with a clear message", async () => {
    const second = await runCli(["migrate"], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by another process \(pid \d+\)/);
    // And the first server still works.
    const ok = await post(served.url, `{ viewer { workspace { id } } }`, { authorization: `Bearer ${created.apiKey}` });
    expect(ok.status).toBe(200);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
  });
});

describe("first start on an empty embedded database", () => {
  it.skipIf(databaseKind === "postgres")("creates a demo workspace and prints its key and the GraphiQL URL; GraphiQL starts with the key", async () => {
    const { env, cleanup } = await isolatedEnv();
    const served = await startCliServer(env);
    try {
      const key = /Demo API key:\s+(pgk_\S+)/.exec(served.output())?.[1];
      expect(key).toBeDefined();
      const data = await post(served.url, `{ participants(programKey: "summer-camp") { totalCount } }`, { authorization: `Bearer ${key}` });
      expect(data.body.data.participants.totalCount).toBeGreaterThan(0);
      const page = await (await fetch(`${served.url}/graphql`, { headers: { accept: "text/html" } })).text();
      expect(page).toContain(key);
    } finally {
      served.child.kill("SIGTERM");
      await served.exited;
      await cleanup();
    }
  });
});

describe("readiness", () => {
  let running: RunningServer;
  let cleanup: () => Promise<void>;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const isolated = await isolatedEnv();
    cleanup = isolated.cleanup;
    if (databaseKind === "postgres") dropDatabase = isolated.cleanup;
    const config = loadConfig({ ...isolated.env, PORT: "0", HOST: "127.0.0.1", SEED_DEMO: "false", SQL_STATEMENTS_HEADER: "true" });
    running = await startServer(config, pino({ level: "silent" }));
  });
  afterAll(async () => {
    await running.stop().catch(() => {});
    await cleanup().catch(() => {});
  });

  it("counts each request's SQL statements in X-SQL-Statements when SQL_STATEMENTS_HEADER is set", async () => {
    const { secret } = await createWorkspace(running.db.prisma, "Counted");
    const counts: number[] = [];
    for (const query of ["{ viewer { workspace { name } } }", "{ programs(first: 5) { edges { node { key } } } }"]) {
      const response = await fetch(`${running.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBe(200);
      await response.text();
      counts.push(Number(response.headers.get("x-sql-statements")));
    }
    // The key's look-up (then cached) and the workspace; the programs page.
    expect(counts[0]).toBeGreaterThanOrEqual(1);
    expect(counts[1]).toBeGreaterThanOrEqual(1);
  });

  it("goes from 200 to 503 when the database goes away", async () => {
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    if (dropDatabase) await dropDatabase();
    else await running.db.close();
    expect((await fetch(`${running.url}/ready`)).status).toBe(503);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });
});
