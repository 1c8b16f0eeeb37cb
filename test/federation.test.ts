import type { RequestListener } from "node:http";
import { readFileSync } from "node:fs";
import { composeServices as composeWithApollo } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BADGES_SDL, createBadgesSubgraph, type Badge } from "./support/badges-subgraph.js";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";

// A real supergraph: our SDL (the committed schema.graphql) and a second, Relay-style subgraph,
// composed with The Guild's and with Apollo's composition, served over real HTTP by the Hive
// Gateway runtime and by Apollo Gateway.
let h: Harness;
let tenant: Tenant;
const servers: Awaited<ReturnType<typeof listen>>[] = [];
let gateway: ReturnType<typeof createGatewayRuntime>;
let apollo: ApolloServer<{ authorization?: string }>;
let apolloHints: string[];
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
  const services = [
    { name: "participants", typeDefs: parse(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8")), url: ourUrl },
    { name: "badges", typeDefs: parse(BADGES_SDL), url: badgesUrl },
  ];
  const composed = composeServices(services);
  expect(composed.errors?.map((e) => e.message) ?? []).toEqual([]);
  const apolloComposed = composeWithApollo(services);
  expect(apolloComposed.errors?.map((e) => e.message) ?? []).toEqual([]);
  apolloHints = (apolloComposed.hints ?? []).map((hint) => hint.definition.code);
  apollo = new ApolloServer<{ authorization?: string }>({
    gateway: new ApolloGateway({
      supergraphSdl: apolloComposed.supergraphSdl!,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest: ({ request, context }) => {
            if (context.authorization) request.http!.headers.set("authorization", context.authorization);
          },
        }),
    }),
  });
  await apollo.start();
  gateway = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: process.env.TEST_LOG_LEVEL ? "debug" : false,
    // The caller's API key travels to every subgraph.
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }) },
  });
});

afterAll(async () => {
  await apollo?.stop();
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

async function viaApolloGateway(query: string, key: string | null = tenant.adminKey) {
  const response = await apollo.executeOperation({ query }, { contextValue: { authorization: key ? `Bearer ${key}` : undefined } });
  if (response.body.kind !== "single") throw new Error("expected a single result");
  return response.body.singleResult as { data?: any; errors?: { message: string }[] };
}

describe("composition beside another Relay-style subgraph", () => {
  it("composes with Apollo's composition; the one hint is the documented one about Query.node", () => {
    expect(apolloHints.filter((code) => code !== "INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN")).toEqual([]);
  });
});

describe.each([
  ["Hive Gateway", (query: string, key?: string | null) => viaGateway(query, key)],
  ["Apollo Gateway", (query: string, key?: string | null) => viaApolloGateway(query, key)],
])("through %s", (_name, via) => {
  it("extends our Person with the other subgraph's badges", async () => {
    const result = await via(`{ participants(programKey: "${programKey}") { edges { node { firstName person { badges { edges { node { name } } } } } } } }`);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const names = (person: any) => person.badges.edges.map((e: any) => e.node.name);
    expect(result.data.participants.edges.map((e: any) => [e.node.firstName, names(e.node.person)])).toEqual([
      ["Ada", ["Pioneer", "Speaker"]],
      ["Grace", []],
    ]);
  });

  it("resolves our entities from the other subgraph's references", async () => {
    const result = await via(
      `{ badgeHolders { id firstName email participants { totalCount } badges { edges { node { name awardedFor { serialNumber program { key } } } } } } }`,
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data.badgeHolders).toEqual([
      {
        id: ada.personId,
        firstName: "Ada",
        email: "ada@example.com",
        participants: { totalCount: 1 },
        badges: {
          edges: [
            { node: { name: "Pioneer", awardedFor: { serialNumber: 1, program: { key: programKey } } } },
            { node: { name: "Speaker", awardedFor: null } },
          ],
        },
      },
    ]);
  });

  it("pages with the shared PageInfo on both sides", async () => {
    const result = await via(
      `{ participants(programKey: "${programKey}", first: 1) { pageInfo { hasNextPage endCursor } edges { node { person { badges { pageInfo { hasNextPage } } } } } } }`,
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data.participants.pageInfo.hasNextPage).toBe(true);
    expect(result.data.participants.edges[0].node.person.badges.pageInfo).toEqual({ hasNextPage: false });
  });
});

describe("through a federation gateway", () => {

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
