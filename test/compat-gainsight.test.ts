import { existsSync, readFileSync } from "node:fs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// Gainsight PX's "Update user", served at /compat/gainsight as its page documents it.
let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Gainsight");
  await tenant.ok(`mutation { definePersonField(input: { key: "plan", label: "Plan", type: TEXT }) { id } }`);
  await tenant.ok(`mutation { upsertPerson(externalId: "string", input: { firstName: "Before" }) { id } }`);
});
afterAll(() => h.close());

/**
 * The request example of the seed page, byte for byte: kept in test/fixtures, and checked against
 * the page itself where the product's shared folder sits beside the repository.
 */
const PAGE_EXAMPLE = readFileSync(new URL("./fixtures/gainsight-request-example.json", import.meta.url), "utf8").trim();
const SEED_PAGE = new URL("../../shared/seeds/004_776e265010fe94ca.txt", import.meta.url);

it("the fixture is the seed page's request example", () => {
  if (!existsSync(SEED_PAGE)) return;
  const page = readFileSync(SEED_PAGE, "utf8");
  const start = page.indexOf("Request examples\n") + "Request examples\n".length;
  expect(page.slice(start, page.indexOf("Response examples")).trim()).toBe(PAGE_EXAMPLE);
});

const put = (identifyId: string, body: string, headers: Record<string, string> = {}) =>
  h.app.fetch(`http://test/compat/gainsight/v1/users/${identifyId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-aptrinsic-api-key": tenant.adminKey, ...headers },
    body,
  });

describe("PUT /compat/gainsight/v1/users/{identifyId}", () => {
  it("accepts the page's own example verbatim: 204, and the data lands where SPEC §8 says", async () => {
    const response = await put("string", PAGE_EXAMPLE);
    expect(response.status, await response.clone().text()).toBe(204);
    const { person } = await tenant.ok(`{ person(externalId: "string") {
      type gender score role accountId signedUpAt firstSeenAt title identities { system id } consent { globalUnsubscribe }
      location { countryCode countryName stateCode city street postalCode continent regionName latitude longitude }
      inferredLocation { countryCode city } gainsight: attributes(bucket: "gainsight") } }`);
    expect(person).toMatchObject({
      type: "LEAD",
      gender: "MALE",
      score: 42,
      role: "string",
      accountId: "string",
      signedUpAt: "1970-01-01T00:00:00.042Z",
      identities: [{ system: "salesforce", id: "string" }, { system: "subscription", id: "string" }],
      consent: { globalUnsubscribe: true },
      location: { countryCode: "US", countryName: "United States", stateCode: "CA", city: "San Mateo", street: "101 Broadway", postalCode: "94010", continent: "NA", latitude: 37.567147, longitude: -122.324211 },
      inferredLocation: { countryCode: "US", city: "San Mateo" },
    });
    // What has no typed home, and what the graph refuses ("string" is no e-mail), is kept.
    expect(person.gainsight).toMatchObject({
      propertyKeys: ["AP-XXXXXXXXXX-2"],
      channelMetricList: [{ groupId: "string", channel: 42, environment: 42, firstSeenDate: 42, lastSeenDate: 42 }],
      lastVisitedUserAgentData: [{ propertyKey: "string" }],
      email: "string",
    });
  });

  it("writes custom attributes to the person fields of their api name", async () => {
    await tenant.ok(`mutation { upsertPerson(externalId: "u-2", input: {}) { id } }`);
    expect((await put("u-2", JSON.stringify({ identifyId: "u-2", customAttributes: { plan: "gold", other: 1 } }))).status).toBe(204);
    const { person } = await tenant.ok(`{ person(externalId: "u-2") { customField(key: "plan") { value } gainsight: attributes(bucket: "gainsight") } }`);
    expect(person).toEqual({ customField: { value: "gold" }, gainsight: { "customAttributes.other": 1 } });
  });

  it("404 for an unknown user, never creating one; 401 without a key; 400 for wrong types", async () => {
    const before = await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } });
    expect((await put("nobody", JSON.stringify({ identifyId: "nobody", firstName: "X" }))).status).toBe(404);
    expect(await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } })).toBe(before);
    expect((await put("string", PAGE_EXAMPLE, { "x-aptrinsic-api-key": "wrong" })).status).toBe(401);
    expect((await put("string", JSON.stringify({ identifyId: "string", score: "high" }))).status).toBe(400);
    expect((await put("string", "{ not json")).status).toBe(400);
  });

  it("429 with Retry-After over the key's rate limit, shared with /graphql", async () => {
    const logger = pino({ level: "silent" });
    const app = createApp({ db: h.db, config: { graphiql: false }, logger, rateLimiter: createRateLimiter({ perMinute: 2, logger, keyPrefix: `gs-${Date.now()}` }) });
    const key = await tenant.key(["WRITE"]);
    const graphql = await app.fetch("http://test/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ query: "{ viewer { apiKey { id } } }" }) });
    expect(graphql.status).toBe(200);
    const body = JSON.stringify({ identifyId: "string" });
    const headers = { "content-type": "application/json", "x-aptrinsic-api-key": key };
    expect((await app.fetch("http://test/compat/gainsight/v1/users/string", { method: "PUT", headers, body })).status).toBe(204);
    const limited = await app.fetch("http://test/compat/gainsight/v1/users/string", { method: "PUT", headers, body });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("a read-only key is refused with 403", async () => {
    const reader = await tenant.key(["READ"]);
    expect((await put("string", JSON.stringify({ identifyId: "string" }), { "x-aptrinsic-api-key": reader })).status).toBe(403);
  });
});
