import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { DEFAULT_LIMITS } from "../src/limits.js";
import { createWorkspace } from "../src/services/workspace.js";
import { runCli, startCliServer } from "./support/cli.js";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";
import { codes, createHarness, databaseKind, openTestDatabase, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";
import { freshPostgresDatabase } from "./support/postgres.js";

// The running server attacked from outside: over real HTTP where the attack needs it.
let h: Harness;
let tenant: Tenant;
let server: { origin: string; close: () => Promise<void> };
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Hardening");
  server = await listen(h.app);
});
afterAll(async () => {
  await server.close();
  await h.close();
});

/** A POST whose body goes out in chunks, without Content-Length, as an attacker would send it. */
function chunkedPost(path: string, headers: Record<string, string>, chunks: Iterable<string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.origin);
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...headers } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    // The server may answer and close before the whole body is sent.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("request bodies", () => {
  it("a chunked body over the limit is refused with 413 and stores nothing", async () => {
    const person = await createPerson(tenant);
    const query = `mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id } }`;
    const head = `{"query":${JSON.stringify(query)},"variables":{"id":"${person.id}","a":{"big":"`;
    const filler = function* () {
      yield head;
      for (let i = 0; i < 40; i++) yield "x".repeat(64 * 1024); // 2.5 MiB in all
      yield `"}}}`;
    };
    const response = await chunkedPost("/graphql", { authorization: `Bearer ${tenant.adminKey}` }, filler());
    expect(response.status).toBe(413);
    expect(await h.db.prisma.personAttribute.count({ where: { personId: person.id } })).toBe(0);
  });

  it("a chunked body within the limit works", async () => {
    const body = JSON.stringify({ query: "{ viewer { workspace { name } } }" });
    const response = await chunkedPost("/graphql", { authorization: `Bearer ${tenant.adminKey}` }, [body.slice(0, 10), body.slice(10)]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).data.viewer.workspace.name).toBe("Hardening");
  });

  it("a compressed body is refused: the limit could not hold for what it inflates to", async () => {
    const { gzipSync } = await import("node:zlib");
    const response = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${tenant.adminKey}` },
      body: gzipSync(JSON.stringify({ query: "{ viewer { workspace { id } } }" })),
    });
    expect(response.status).toBe(415);
  });

  it("a body with an unknown key is refused before it is parsed", async () => {
    const response = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer pgk_unknown" },
      body: "{ this is not JSON",
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe("UNAUTHENTICATED");
  });
});

describe("metrics", () => {
  it("labels come from a bounded set: unique operation names and query strings add no series", async () => {
    const metrics = async () => (await fetch(`${server.origin}/metrics`)).text();
    const send = async (i: number, key: string | null) =>
      fetch(`${server.origin}/graphql?probe${i}-${"q".repeat(200)}=1`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: `query Op${i}${"N".repeat(2_000)} { viewer { workspace { id } } }` }),
      });
    for (let i = 0; i < 5; i++) await Promise.all([send(i, tenant.adminKey), send(i, null)]);
    const before = await metrics();
    for (let i = 5; i < 60; i++) await Promise.all([send(i, tenant.adminKey), send(i, null)]);
    const after = await metrics();
    expect(after).not.toMatch(/NNNN|probe\d/);
    const series = (text: string) => text.split("\n").filter((line) => line && !line.startsWith("#")).map((line) => line.replace(/ [^ ]+$/, ""));
    expect(series(after).filter((name) => name.startsWith("graphql_"))).toEqual(series(before).filter((name) => name.startsWith("graphql_")));
  });
});

describe("with introspection off", () => {
  it("no error suggests a name, and a request without a key learns nothing", async () => {
    const app = createApp({
      db: h.db,
      config: { graphiql: false, limits: { ...DEFAULT_LIMITS, introspection: false } },
      logger: pino({ level: "silent" }),
      rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger: pino({ level: "silent" }) }),
    });
    const post = async (query: string, key: string | null) => {
      const response = await app.fetch("http://test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, text: await response.text() };
    };
    for (const query of [`{ people(filter: { status: ACTIV }) { totalCount } }`, `{ peple { totalCount } }`, `{ viewer { workspac { id } } }`]) {
      const withKey = await post(query, tenant.adminKey);
      expect(withKey.text).toContain("BAD_USER_INPUT");
      expect(withKey.text).not.toMatch(/Did you mean|ACTIVE|people|workspace/);
      const withoutKey = await post(query, null);
      expect(withoutKey.status).toBe(401);
      expect(withoutKey.text).not.toMatch(/Did you mean|ACTIVE|people|workspace/);
    }
  });
});

describe("an unexpected error", () => {
  let db: Database;
  let drop = async () => {};
  beforeAll(async () => {
    if (databaseKind === "postgres") {
      const fresh = await freshPostgresDatabase(process.env.DATABASE_URL!);
      drop = fresh.drop;
      db = await openDatabase({ kind: "postgres", url: fresh.url, poolSize: 2 });
      await migrate(db.driver);
    } else {
      db = await openTestDatabase();
    }
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("is logged with its cause and the request id the response carries", async () => {
    const lines: Record<string, any>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const logger = pino({ level: "info" }, sink);
    const app = createApp({ db, config: { graphiql: false }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000, logger }) });
    const { secret } = await createWorkspace(db.prisma, "Broken");
    // The database loses a table under the running app: nothing a client did.
    await db.driver.transaction((tx) => tx.exec("DROP TABLE program CASCADE"));
    const response = await app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query: "{ programs { totalCount } }" }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string; requestId: string } }[] };
    const requestId = response.headers.get("x-request-id");
    expect(body.errors[0]!.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", requestId });
    expect(JSON.stringify(body)).not.toMatch(/program"|relation|SELECT/);
    const logged = lines.find((line) => line.msg === "unexpected error");
    expect(logged?.requestId).toBe(requestId);
    expect(JSON.stringify(logged?.err)).toMatch(/program/);
  });
});

describe.skipIf(databaseKind !== "postgres")("stopping while a request waits on a row lock", () => {
  it("exits within the drain timeout and the close bound, not when the lock goes", async () => {
    const fresh = await freshPostgresDatabase(process.env.DATABASE_URL!);
    const env = { DATABASE_URL: fresh.url, SHUTDOWN_TIMEOUT_MS: "1000" };
    const locker = new pg.Client({ connectionString: fresh.url });
    try {
      const created = await runCli(["workspace", "create", "Locks", "--json"], env);
      const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
      const served = await startCliServer(env);
      const gql = (query: string, variables: Record<string, unknown> = {}) =>
        fetch(`${served.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ query, variables }),
        });
      const remote = { gql: async (q: string, v?: Record<string, unknown>) => ({ status: 200, headers: new Headers(), data: ((await (await gql(q, v)).json()) as any).data, errors: undefined, statements: 0 }) } as unknown as Tenant;
      remote.ok = async (q, v) => (await remote.gql(q, v)).data as never;
      const program = await createProgram(remote);
      const participant = await enroll(remote, program.key);
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query("SELECT id FROM participant WHERE id = $1 FOR UPDATE", [participant.id]);
      const blocked = gql(`mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["x"] }) { id } }`, { id: participant.id }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stoppedAt = Date.now();
      served.child.kill("SIGTERM");
      const code = await served.exited;
      const took = Date.now() - stoppedAt;
      await blocked;
      expect(code).toBe(0);
      // 5 s of accepting at most, 1 s of draining, 2 + 2 s of closing, where the stock 30 s drain
      // and the lock's transaction would take over 30 s.
      expect(took).toBeLessThan(15_000);
    } finally {
      await locker.end().catch(() => {});
      await fresh.drop();
    }
  });
});

it("keeps codes on a participant write racing a delete (NOT_FOUND, never CONFLICT)", async () => {
  const program = await createProgram(tenant);
  for (let round = 0; round < 5; round++) {
    const participant = await enroll(tenant, program.key);
    const [update] = await Promise.all([
      tenant.gql(`mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["a"] }) { id } }`, { id: participant.id }),
      tenant.gql(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: participant.id }),
    ]);
    expect(codes(update).filter((c) => c !== "NOT_FOUND")).toEqual([]);
  }
});
