import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generate } from "@graphql-codegen/cli";
import { Client, fetchExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { keys } from "../clients/urql-keys.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import codegenConfig from "../clients/codegen.js";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { redisQueryStore } from "../src/persisted-queries.js";
import { REDIS_URL, redisAnswers } from "./support/redis.js";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";

// The clients frontend teams use, run against the server as they would run it: Apollo Client's
// persisted queries over real HTTP, GraphQL Code Generator and relay-compiler on the shipped
// configurations.
const root = new URL("../", import.meta.url).pathname;
const run = promisify(execFile);
const redisUp = await redisAnswers();
// Generated code is type-checked inside node_modules, where it resolves the project's packages;
// relay-compiler skips node_modules, so its project lives in the system's temporary folder.
mkdirSync(join(root, "node_modules/.cache"), { recursive: true });
const work = mkdtempSync(join(root, "node_modules/.cache/clients-"));
const relayWork = mkdtempSync(join(tmpdir(), "relay-"));

let h: Harness;
let tenant: Tenant;
let server: Awaited<ReturnType<typeof listen>>;
let programKey: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Clients");
  programKey = (await createProgram(tenant)).key;
  await enroll(tenant, programKey, { person: { firstName: "Ada", lastName: "Lovelace" } });
  server = await listen(h.app);
});
afterAll(async () => {
  await server.close();
  await h.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(relayWork, { recursive: true, force: true });
});

describe("Apollo Client's PersistedQueryLink", () => {
  // One operation per test: the server remembers what an earlier test registered.
  const queryNamed = (name: string) => gql(`
    query ${name}($k: String!) {
      participants(programKey: $k) { edges { node { firstName } } }
    }
  `);

  function client(method: "GET" | "POST", sent: { method: string; persisted: boolean; full: boolean }[]) {
    const link = new PersistedQueryLink({ sha256: (text: string) => createHash("sha256").update(text).digest("hex"), useGETForHashedQueries: method === "GET" }).concat(
      new HttpLink({
        uri: `${server.origin}/graphql`,
        headers: { authorization: `Bearer ${tenant.adminKey}` },
        fetch: async (url, init) => {
          const body = init?.body ? JSON.parse(String(init.body)) : Object.fromEntries(new URL(String(url)).searchParams);
          sent.push({ method: init?.method ?? "GET", persisted: JSON.stringify(body).includes("sha256Hash"), full: Boolean(body.query) });
          return fetch(url, init);
        },
      }),
    );
    return new ApolloClient({ link, cache: new InMemoryCache() });
  }

  it.each(["POST", "GET"] as const)("registers on a miss and runs by hash after (%s)", async (method) => {
    const QUERY = queryNamed(`Names${method}`);
    const first: { method: string; persisted: boolean; full: boolean }[] = [];
    const result = await client(method, first).query({ query: QUERY, variables: { k: programKey } });
    expect(result.data).toEqual({ participants: { __typename: "ParticipantConnection", edges: [{ __typename: "ParticipantEdge", node: { __typename: "Participant", firstName: "Ada" } }] } });
    // A hash alone, PERSISTED_QUERY_NOT_FOUND, then the hash with the full query.
    expect(first.map((r) => [r.persisted, r.full])).toEqual([[true, false], [true, true]]);
    const second: typeof first = [];
    const again = await client(method, second).query({ query: QUERY, variables: { k: programKey } });
    expect(again.data).toEqual(result.data);
    expect(second.map((r) => [r.persisted, r.full])).toEqual([[true, false]]);
  });

  it.skipIf(!redisUp)("shares registered queries between instances through Redis", async () => {
    const logger = pino({ level: "silent" });
    const stores = [redisQueryStore(REDIS_URL), redisQueryStore(REDIS_URL)];
    const [a, b] = stores.map((queryStore) =>
      createApp({ db: h.db, config: { graphiql: false }, logger, queryStore, rateLimiter: createRateLimiter({ perMinute: 1_000, logger }) }),
    );
    try {
      const query = `{ viewer { workspace { name } } run${randomUUID().replaceAll("-", "")}: __typename }`;
      const sha256Hash = createHash("sha256").update(query).digest("hex");
      const post = (app: typeof a, body: object) =>
        app!.fetch("http://test/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` }, body: JSON.stringify(body) });
      const extensions = { persistedQuery: { version: 1, sha256Hash } };
      expect(((await (await post(b, { extensions })).json()) as any).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      await post(a, { query, extensions });
      expect(((await (await post(b, { extensions })).json()) as any).data.viewer.workspace.name).toBe("Clients");
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("answers an unknown hash with PERSISTED_QUERY_NOT_FOUND and HTTP 200, and refuses a wrong hash", async () => {
    const ask = (body: unknown) =>
      fetch(`${server.origin}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` }, body: JSON.stringify(body) });
    const miss = await ask({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(miss.status).toBe(200);
    expect(((await miss.json()) as any).errors[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    const wrong = await ask({ query: "{ __typename }", extensions: { persistedQuery: { version: 1, sha256Hash: "1".repeat(64) } } });
    expect(((await wrong.json()) as any).errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });
});

describe("urql with graphcache and clients/urql-keys.ts", () => {
  const QUERY = `query Profile($k: String!) {
    viewer { workspace { id name } }
    participants(programKey: $k) {
      edges { node { id firstName customFields { key value displayValue field { id label options { value label } } } financials { currency totalPaid }
        balances { asset amount } counters { name value } tiers { tierType level } person { id location { city } } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  async function warningsWith(keying: typeof keys | undefined) {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    try {
      const client = new Client({
        url: `${server.origin}/graphql`,
        exchanges: [cacheExchange({ keys: keying }), fetchExchange],
        fetchOptions: { headers: { authorization: `Bearer ${tenant.adminKey}` } },
      });
      const result = await client.query(QUERY, { k: programKey }).toPromise();
      expect(result.error).toBeUndefined();
      expect(result.data.participants.edges[0].node.firstName).toBe("Ada");
    } finally {
      console.warn = original;
    }
    return warnings;
  }

  it("normalises every type without a warning, which it gives without the keys", async () => {
    expect(await warningsWith(keys)).toEqual([]);
    expect((await warningsWith(undefined)).length).toBeGreaterThan(0);
  });
});

describe("GraphQL Code Generator with clients/codegen.ts", () => {
  it("types every operation and scalar, and the result type-checks", async () => {
    const out = join(work, "codegen");
    cpSync(join(root, "clients/example"), out, { recursive: true });
    const [target] = Object.keys(codegenConfig.generates);
    await generate({ ...codegenConfig, cwd: root, silent: true, generates: { [join(out, "__generated__/")]: codegenConfig.generates[target!]! } }, true);
    const generated = readFileSync(join(out, "__generated__/graphql.ts"), "utf8");
    // Scalars come out as their mapped types (typed.ts below checks them one by one), never any.
    expect(generated).toMatch(/amount: string;/);
    expect(generated).not.toMatch(/\bany\b/);
    writeFileSync(join(out, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "esnext", moduleResolution: "bundler", target: "es2022", skipLibCheck: true }, include: ["*.ts", "__generated__/*.ts"] }));
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    await run(process.execPath, [tsc, "-p", out], { cwd: out }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
  });
});

describe("relay-compiler with clients/relay", () => {
  it("compiles @connection and @refetchable fragments against schema.client.graphql", async () => {
    const dir = join(relayWork, "relay");
    cpSync(join(root, "clients/relay"), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, "relay.config.json"), "utf8"));
    writeFileSync(join(dir, "relay.config.json"), JSON.stringify({ ...config, schema: join(root, "schema.client.graphql") }));
    await run(join(root, "node_modules/.bin/relay-compiler"), [], { cwd: dir }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`relay-compiler failed:\n${error.stdout}\n${error.stderr}`);
    });
    const generated = join(dir, "src/__generated__");
    expect(existsSync(generated)).toBe(true);
    const files = readdirSync(generated).sort();
    expect(files).toEqual(expect.arrayContaining(["ParticipantListPaginationQuery.graphql.ts", "ParticipantCardRefetchQuery.graphql.ts", "ParticipantList_program.graphql.ts"]));
    const fragment = readFileSync(join(generated, "ParticipantList_program.graphql.ts"), "utf8");
    expect(fragment).toMatch(/readonly updatedAt: string;/);
    expect(fragment).toContain('"backward"');
  });
});
