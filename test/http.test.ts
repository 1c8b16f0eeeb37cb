import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditServer } from "graphql-http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";

let h: Harness;
let tenant: Tenant;
let server: Awaited<ReturnType<typeof listen>>;
let url: string;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("HTTP");
  server = await listen(h.app);
  url = `${server.origin}/graphql`;
});
afterAll(async () => {
  await server.close();
  await h.close();
});

const withKey = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { "x-api-key": tenant.adminKey, ...(init.headers as object) } });

describe("GraphQL over HTTP", () => {
  // Deviations we keep, with the reason (also listed in the README): none of the MUST audits.
  // SHOULD audits about 4xx for invalid variables under application/json are left to Yoga's choice.
  it("passes the graphql-http conformance audits", async () => {
    const results = await auditServer({ url, fetchFn: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, withKey(init)) });
    const failures = results.filter((r) => r.status === "error");
    expect(failures.map((r) => `${r.id} ${r.name}: ${"reason" in r ? r.reason : ""}`)).toEqual([]);
    const warnings = results.filter((r) => r.status === "warn").map((r) => r.name);
    expect(warnings).toEqual([]);
    expect(results.length).toBeGreaterThan(30);
  });

  it("answers with application/graphql-response+json when asked, and application/json otherwise", async () => {
    const body = JSON.stringify({ query: "{ viewer { workspace { id } } }" });
    const modern = await fetch(url, withKey({ method: "POST", body, headers: { "content-type": "application/json", accept: "application/graphql-response+json" } }));
    expect(modern.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/);
    const legacy = await fetch(url, withKey({ method: "POST", body, headers: { "content-type": "application/json", accept: "application/json" } }));
    expect(legacy.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("runs queries over GET but never mutations", async () => {
    const query = encodeURIComponent("{ viewer { workspace { id } } }");
    const get = await fetch(`${url}?query=${query}`, withKey());
    expect(get.status).toBe(200);
    const mutation = encodeURIComponent(`mutation { createProgram(input: { key: "via-get", name: "x" }) { id } }`);
    const refused = await fetch(`${url}?query=${mutation}`, withKey({ headers: { accept: "application/graphql-response+json" } }));
    expect(refused.status).toBe(405);
    expect(await h.db.prisma.program.count({ where: { workspaceId: tenant.workspaceId, key: "via-get" } })).toBe(0);
  });

  it("answers malformed requests with 4xx and no data", async () => {
    const cases: RequestInit[] = [
      { method: "POST", body: "{not json", headers: { "content-type": "application/json", accept: "application/graphql-response+json" } },
      { method: "POST", body: JSON.stringify({ query: "{ viewer { " }), headers: { "content-type": "application/json", accept: "application/graphql-response+json" } },
      { method: "POST", body: JSON.stringify({ nope: 1 }), headers: { "content-type": "application/json", accept: "application/graphql-response+json" } },
    ];
    for (const init of cases) {
      const response = await fetch(url, withKey(init));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      const json = (await response.json()) as { data?: unknown; errors?: unknown[] };
      expect(json.data).toBeUndefined();
      expect(json.errors?.length).toBeGreaterThan(0);
    }
  });

  it("answers a body of invalid UTF-8 without a server error", async () => {
    const prefix = Buffer.from('{"query":"mutation { createProgram(input: { key: \\"utf8\\", name: \\"');
    const body = Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('\\" }) { name } }"}')]);
    const response = await fetch(url, withKey({ method: "POST", body, headers: { "content-type": "application/json" } }));
    expect(response.status).toBeLessThan(500);
    const json = (await response.json()) as { data?: { createProgram: { name: string } } };
    // Undecodable bytes arrive as U+FFFD, never as broken text in the database.
    if (json.data) expect(json.data.createProgram.name.isWellFormed()).toBe(true);
  });

  it("refuses a cross-site simple GET (CSRF) that carries no key or preflight header", async () => {
    const response = await fetch(`${url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(response.status).toBe(403);
  });

  it("batches several operations in one request, up to the limit", async () => {
    const one = { query: "{ viewer { workspace { id } } }" };
    const response = await fetch(url, withKey({ method: "POST", body: JSON.stringify([one, { query: "{ attributeBuckets { name } }" }]), headers: { "content-type": "application/json" } }));
    const results = (await response.json()) as { data: Record<string, unknown> }[];
    expect(results.map((r) => Object.keys(r.data))).toEqual([["viewer"], ["attributeBuckets"]]);
    const tooMany = await fetch(url, withKey({ method: "POST", body: JSON.stringify(Array(11).fill(one)), headers: { "content-type": "application/json" } }));
    expect(tooMany.status).toBe(413);
  });

  it("answers federated tracing (ftv1) when the router asks", async () => {
    const response = await fetch(url, withKey({ method: "POST", body: JSON.stringify({ query: "{ viewer { workspace { id } } }" }), headers: { "content-type": "application/json", "apollo-federation-include-trace": "ftv1" } }));
    const json = (await response.json()) as { extensions?: { ftv1?: string } };
    expect(json.extensions?.ftv1).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
    const plain = (await (await fetch(url, withKey({ method: "POST", body: JSON.stringify({ query: "{ __typename }" }), headers: { "content-type": "application/json" } }))).json()) as { extensions?: unknown };
    expect(plain.extensions).toBeUndefined();
  });

  it("does not trace unless FEDERATED_TRACING is on", async () => {
    const app = createApp({ db: h.db, config: { graphiql: false }, logger: pino({ level: "silent" }) });
    const response = await app.fetch(
      "http://test/graphql",
      withKey({ method: "POST", body: JSON.stringify({ query: "{ viewer { workspace { id } } }" }), headers: { "content-type": "application/json", "apollo-federation-include-trace": "ftv1" } }),
    );
    const json = (await response.json()) as { data?: { viewer: unknown }; extensions?: unknown };
    expect(json.data?.viewer).toBeTruthy();
    expect(json.extensions).toBeUndefined();
  });
});

describe("trusted documents", () => {
  it("when switched on, run only the persisted operations", async () => {
    const query = "query Viewer { viewer { workspace { id } } }";
    const hash = createHash("sha256").update(query).digest("hex");
    const file = join(mkdtempSync(join(tmpdir(), "persisted-")), "operations.json");
    writeFileSync(file, JSON.stringify({ [hash]: query }));
    const app = createApp({ db: h.db, config: { graphiql: false, persistedOperations: { file, only: true } }, logger: pino({ level: "silent" }) });
    const post = (body: unknown) =>
      app.fetch("http://test/graphql", withKey({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }));
    const persisted = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(((await persisted.json()) as { data: any }).data.viewer.workspace.id).toBe(tenant.workspaceId);
    const arbitrary = (await (await post({ query })).json()) as { data?: unknown; errors: { message: string }[] };
    expect(arbitrary.data).toBeUndefined();
    expect(arbitrary.errors[0]!.message).toMatch(/PersistedQueryOnly/);
    const unknown = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(((await unknown.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/PersistedQueryNotFound/);
  });
});
