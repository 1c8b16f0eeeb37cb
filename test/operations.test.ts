import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { createLogger } from "../src/logger.js";
import { startCliServer } from "./support/cli.js";
import { createHarness, databaseKind, type Harness, type Tenant } from "./support/harness.js";
import { freshPostgresDatabase } from "./support/postgres.js";

// What an operator and a newcomer see: log lines, probes, the root page, the start banner.
let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Operations");
});
afterAll(() => h.close());

function sink(isTTY: boolean) {
  const lines: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }), { isTTY });
  return { stream, lines };
}

describe("logs", () => {
  it("are JSON lines for a collector and readable lines on a terminal", () => {
    const json = sink(false);
    createLogger({ logLevel: "info" }, json.stream).info({ requestId: "r-1" }, "hello");
    expect(JSON.parse(json.lines.join(""))).toMatchObject({ msg: "hello", requestId: "r-1", service: "participant-graph" });
    const tty = sink(true);
    createLogger({ logLevel: "info" }, tty.stream).info({ requestId: "r-2" }, "hello");
    const text = tty.lines.join("");
    expect(text).toMatch(/INFO.*hello/);
    expect(text).toContain("r-2");
    expect(() => JSON.parse(text)).toThrow();
  });

  it("log probes at debug and requests at info", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const app = createApp({ db: h.db, config: { graphiql: false }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000, logger }) });
    for (const path of ["/health", "/ready", "/metrics"]) expect((await app.fetch(`http://test${path}`)).status).toBe(200);
    await app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ query: "{ viewer { workspace { id } } }" }),
    });
    expect(lines.filter((l) => l.msg === "request").map((l) => l.path)).toEqual(["/graphql"]);
  });
});

describe("GET /", () => {
  it("points to the API instead of an empty 404", async () => {
    const json = await h.app.fetch("http://test/", { headers: { accept: "application/json" } });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ graphql: "/graphql" });
    const html = await h.app.fetch("http://test/", { headers: { accept: "text/html" } });
    expect(await html.text()).toContain('href="/graphql"');
  });
});

describe.skipIf(databaseKind !== "postgres")("starting on PostgreSQL", () => {
  it("says how to get a key, and seeds the demo when asked", async () => {
    const fresh = await freshPostgresDatabase(process.env.DATABASE_URL!);
    try {
      for (const [env, expected] of [
        [{}, /workspace create/],
        [{ SEED_DEMO: "true", DATA_DIR: `/tmp/pg-demo-${process.pid}` }, /Demo API key: +pgk_/],
      ] as const) {
        const served = await startCliServer({ DATABASE_URL: fresh.url, ...env });
        expect(served.output()).toMatch(expected);
        served.child.kill("SIGTERM");
        await served.exited;
      }
    } finally {
      await fresh.drop();
    }
  });
});
