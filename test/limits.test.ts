import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { DEFAULT_LIMITS } from "../src/limits.js";
import { codes, createHarness, request, type Harness, type Tenant } from "./support/harness.js";

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Limits");
});
afterAll(() => h.close());

function deep(levels: number): string {
  // person → participants → person → … each hop is two levels (edges/node) plus the field.
  let inner = "id";
  for (let i = 0; i < levels; i++) inner = `participants(first: 1) { edges { node { person { ${inner} } } } }`;
  return `query($id: ID!) { person(id: $id) { ${inner} } }`;
}

describe("query limits", () => {
  it("refuses a query deeper than the limit with BAD_USER_INPUT, and allows one within it", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    expect((await tenant.gql(deep(2), { id })).errors).toBeUndefined();
    const tooDeep = await tenant.gql(deep(4), { id });
    expect(codes(tooDeep)).toContain("BAD_USER_INPUT");
    expect(tooDeep.errors![0]!.message).toMatch(/depth/i);
  });

  it("refuses too many aliases, tokens and too great a cost", async () => {
    const aliases = `{ ${Array.from({ length: DEFAULT_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { workspace { id } }`).join(" ")} }`;
    expect(codes(await tenant.gql(aliases))).toContain("BAD_USER_INPUT");
    const tokens = `{ viewer { workspace { ${Array.from({ length: DEFAULT_LIMITS.maxTokens }, () => "id").join(" ")} } } }`;
    expect(codes(await tenant.gql(tokens))).toContain("BAD_USER_INPUT");
    const wide = `{ ${Array.from({ length: 20 }, (_, i) => `p${i}: people(first: 100) { edges { node { participants(first: 100) { edges { node { customFields { key value displayValue field { key label options { value label } } } } } } } } }`).join(" ")} }`;
    const costly = await tenant.gql(wide);
    expect(codes(costly)).toContain("BAD_USER_INPUT");
  });

  it("refuses a body over the size limit with 413", async () => {
    const response = await h.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(DEFAULT_LIMITS.maxBodyBytes) } }),
    });
    expect(response.status).toBe(413);
  });

  it("bounds first at 100", async () => {
    const response = await tenant.gql(`{ people(first: 1000) { totalCount } }`);
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("production switches", () => {
  it("turn off introspection and GraphiQL, keeping federation's _service", async () => {
    const app = createApp({
      db: h.db,
      config: { graphiql: false, limits: { ...DEFAULT_LIMITS, introspection: false } },
      logger: pino({ level: "silent" }),
    });
    const headers = { authorization: `Bearer ${tenant.adminKey}` };
    const introspection = await request(app, `{ __schema { types { name } } }`, {}, headers);
    expect(introspection.errors?.length).toBeGreaterThan(0);
    expect(introspection.data ?? null).toBeNull();
    const service = await request(app, `{ _service { sdl } }`, {}, headers);
    expect(service.data?._service.sdl).toContain("type Person");
    const suggestion = await request(app, `{ viewr { workspace { id } } }`, {}, headers);
    expect(JSON.stringify(suggestion.errors)).not.toMatch(/Did you mean/);
    const page = await app.fetch("http://test/graphql", { headers: { accept: "text/html" } });
    expect(await page.text()).not.toContain("graphiql");
  });
});
