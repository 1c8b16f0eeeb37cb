import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { startServer } from "../src/server.js";
import { createWorkspace } from "../src/services/workspace.js";
import { runCli, startCliServer } from "./support/cli.js";
import { databaseKind } from "./support/harness.js";
import { freshPostgresDatabase } from "./support/postgres.js";
import { tcpProxy } from "./support/tcp-proxy.js";

const VIEWER = JSON.stringify({ query: "{ viewer { workspace { id } } participants(programKey: \"none\") { totalCount } }" });

async function post(url: string, key: string) {
  const started = Date.now();
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: VIEWER,
  });
  return { status: response.status, body: (await response.json()) as any, ms: Date.now() - started };
}

describe.skipIf(databaseKind !== "postgres")("when PostgreSQL goes away", () => {
  it("fails fast with a clean INTERNAL_SERVER_ERROR, reports not ready, and recovers without a restart", async () => {
    const { url: dbUrl, drop } = await freshPostgresDatabase(process.env.DATABASE_URL!);
    const direct = await openDatabase({ kind: "postgres", url: dbUrl, poolSize: 1 });
    await migrate(direct.driver);
    const { secret } = await createWorkspace(direct.prisma, "Faults");
    await direct.close();
    const target = new URL(dbUrl);
    const proxy = await tcpProxy(Number(target.port || 5432), target.hostname);
    const viaProxy = new URL(dbUrl);
    viaProxy.port = String(proxy.port);
    const running = await startServer(
      loadConfig({ DATABASE_URL: viaProxy.toString(), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" }),
      pino({ level: "silent" }),
    );
    try {
      expect((await post(running.url, secret)).status).toBe(200);

      proxy.cut();
      const failures = await Promise.all(Array.from({ length: 10 }, () => post(running.url, secret)));
      for (const failure of failures) {
        expect(failure.status, JSON.stringify(failure.body)).toBeGreaterThanOrEqual(500);
        const text = JSON.stringify(failure.body);
        expect(failure.body.errors[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
        expect(failure.body.errors[0].extensions.requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(text).not.toMatch(/SELECT|ECONN|stack|at .*\.ts/);
        // No hang: the pool gives up on a dead server within its connection timeout.
        expect(failure.ms).toBeLessThan(15_000);
      }
      expect((await fetch(`${running.url}/ready`)).status).toBe(503);

      proxy.restore();
      let recovered = false;
      for (let i = 0; i < 50 && !recovered; i++) {
        recovered = (await post(running.url, secret)).status === 200;
        if (!recovered) await new Promise((r) => setTimeout(r, 200));
      }
      expect(recovered).toBe(true);
      expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    } finally {
      await running.stop();
      await proxy.close();
      await drop();
    }
  });
});

describe("SIGTERM under load", () => {
  it("lets in-flight requests finish, refuses new ones, and exits 0", async () => {
    const env: Record<string, string> = {};
    let cleanup = async () => {};
    if (databaseKind === "postgres") {
      const db = await freshPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      cleanup = db.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), "participant-graph-"));
      Object.assign(env, { DATABASE_URL: "", DATA_DIR: dir, SEED_DEMO: "false" });
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    const created = JSON.parse((await runCli(["workspace", "create", "Load", "--json"], env)).stdout) as { apiKey: string };
    const served = await startCliServer(env);
    try {
      // A request either was accepted before the signal and completes, or is refused at connect.
      const inFlight = Array.from({ length: 30 }, () =>
        post(served.url, created.apiKey).catch((error: Error & { cause?: { code?: string } }) => ({ status: error.cause?.code ?? "failed" })),
      );
      await new Promise((r) => setTimeout(r, 30));
      served.child.kill("SIGTERM");
      const results = await Promise.all(inFlight);
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s !== 200 && s !== "ECONNREFUSED"), served.output()).toEqual([]);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(await served.exited).toBe(0);
      await expect(fetch(`${served.url}/health`)).rejects.toThrow();
    } finally {
      if (served.child.exitCode === null) served.child.kill("SIGKILL");
      await cleanup();
    }
  });
});
