import type { RequestListener } from "node:http";
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BADGES_SDL, createBadgesSubgraph, type Badge } from "./support/badges-subgraph.js";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";

// A real supergraph: our SDL (the committed schema.graphql) and a second subgraph composed with
// The Guild's composition library, served by the Hive Gateway runtime over real HTTP.
let h: Harness;
let tenant: Tenant;
const servers: Awaited<ReturnType<typeof listen>>[] = [];
let gateway: ReturnType<typeof createGatewayRuntime>;
const badges = new Map<string, Badge[]>();
let programKey: string;
let ada: { id: string; personId: string };

async function serve(handler: RequestListener): Promise<string> {
  const server = await listen(handler);
  servers.push(server);
  return `${server.origin}/graphql`;
}

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Federation");
  programKey = (await createProgram(tenant)).key;
  const p = await enroll(tenant, programKey, { person: { firstName: "Ada", email: "ada@example.com", externalId: "crm-ada" } });
  ada = { id: p.id, personId: p.person.id };
  await enroll(tenant, programKey, { person: { firstName: "Grace" } });
  badges.set(ada.personId, [{ name: "Pioneer", participantId: ada.id }, { name: "Speaker" }]);

  const ourUrl = await serve(h.app);
  const badgesUrl = await serve(createBadgesSubgraph(badges) as unknown as RequestListener);
  const composed = composeServices([
    { name: "participants", typeDefs: parse(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8")), url: ourUrl },
    { name: "badges", typeDefs: parse(BADGES_SDL), url: badgesUrl },
  ]);
  expect(composed.errors?.map((e) => e.message) ?? []).toEqual([]);
  gateway = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: process.env.TEST_LOG_LEVEL ? "debug" : false,
    // The caller's API key travels to every subgraph.
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }) },
  });
});

afterAll(async () => {
  await gateway?.dispose();
  await Promise.all(servers.map((s) => s.close()));
  await h.close();
});

async function viaGateway(query: string, key: string | null = tenant.adminKey) {
  const response = await gateway.fetch("http://gateway/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe("through a federation gateway", () => {
  it("extends our Person with the other subgraph's badges", async () => {
    const result = await viaGateway(`{ participants(programKey: "${programKey}") { edges { node { firstName person { badges { name } } } } } }`);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data.participants.edges).toEqual([
      { node: { firstName: "Ada", person: { badges: [{ name: "Pioneer" }, { name: "Speaker" }] } } },
      { node: { firstName: "Grace", person: { badges: [] } } },
    ]);
  });

  it("resolves our entities from the other subgraph's references", async () => {
    const result = await viaGateway(`{ badgeHolders { id firstName email participants { totalCount } badges { name awardedFor { serialNumber program { key } } } } }`);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data.badgeHolders).toEqual([
      {
        id: ada.personId,
        firstName: "Ada",
        email: "ada@example.com",
        participants: { totalCount: 1 },
        badges: [
          { name: "Pioneer", awardedFor: { serialNumber: 1, program: { key: programKey } } },
          { name: "Speaker", awardedFor: null },
        ],
      },
    ]);
  });

  it("forwards the caller's key: another workspace's key sees none of our rows", async () => {
    const other = await h.workspace("Elsewhere");
    const result = await viaGateway(`{ badgeHolders { id firstName } }`, other.adminKey);
    // The badges subgraph knows the id; our subgraph, asked with the other key, does not.
    expect(result.data?.badgeHolders ?? []).not.toContainEqual(expect.objectContaining({ firstName: "Ada" }));
    const denied = await viaGateway(`{ viewer { workspace { id } } }`, null);
    expect(denied.data?.viewer ?? null).toBeNull();
    expect(denied.errors?.length).toBeGreaterThan(0);
  });
});

describe("_entities", () => {
  it("resolves in the order given, with null for unknown and foreign ids", async () => {
    const other = await h.workspace("Foreign");
    const foreign = await enroll(other, (await createProgram(other)).key);
    const { _entities } = await tenant.ok(`query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Person { id firstName } ... on Participant { id serialNumber } ... on Program { key } } }`, {
      reps: [
        { __typename: "Participant", id: ada.id },
        { __typename: "Person", id: "00000000-0000-4000-8000-000000000000" },
        { __typename: "Person", externalId: "crm-ada" },
        { __typename: "Person", id: foreign.person.id },
        { __typename: "Participant", id: foreign.id },
        { __typename: "Person", id: ada.personId },
      ],
    });
    expect(_entities).toEqual([
      { id: ada.id, serialNumber: 1 },
      null,
      { id: ada.personId, firstName: "Ada" },
      null,
      null,
      { id: ada.personId, firstName: "Ada" },
    ]);
  });
});
