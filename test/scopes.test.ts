import { getNamedType, GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, isNonNullType, type GraphQLInputType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSchema } from "../src/schema/index.js";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";

// Scopes are checked for every root field, derived from the schema itself: a mutation added
// without a scope check fails here, whatever its arguments.
const schema = buildSchema();
const ADMIN_ONLY = new Set([
  "createApiKey", "revokeApiKey", "rotateApiKey", "createAttributeBucket", "apiKeys",
  "webhookEndpoints", "createWebhookEndpoint", "updateWebhookEndpoint", "deleteWebhookEndpoint", "rotateWebhookSecret", "redeliverWebhook", "personExport",
]);
const SCALARS: Record<string, string> = {
  ID: '"00000000-0000-4000-8000-000000000000"',
  String: '"x"',
  Int: "1",
  Float: "1.5",
  Boolean: "true",
  JSON: "{}",
  JSONObject: "{}",
  DateTime: '"2026-01-01T00:00:00Z"',
  Decimal: '"1"',
};

/** A literal of the type with every required field filled: enough to pass validation. */
function literal(type: GraphQLInputType): string {
  if (type instanceof GraphQLNonNull) return literal(type.ofType);
  if (type instanceof GraphQLList) return `[${literal(type.ofType)}]`;
  if (type instanceof GraphQLEnumType) return type.getValues()[0]!.name;
  if (type instanceof GraphQLScalarType) return SCALARS[type.name] ?? '"x"';
  const fields = Object.values((type as GraphQLInputObjectType).getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
  return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(", ")} }`;
}

function operation(kind: "query" | "mutation", name: string): string {
  const field = (kind === "query" ? schema.getQueryType() : schema.getMutationType())!.getFields()[name]!;
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined).map((a) => `${a.name}: ${literal(a.type)}`);
  const named = getNamedType(field.type);
  const selection = "getFields" in named ? " { __typename }" : "";
  return `${kind} { ${name}${args.length ? `(${args.join(", ")})` : ""}${selection} }`;
}

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Scopes");
});
afterAll(() => h.close());

const mutations = Object.keys(schema.getMutationType()!.getFields());
const queries = Object.keys(schema.getQueryType()!.getFields()).filter((f) => !f.startsWith("_"));

describe("scopes, for every root field of the schema", () => {
  it("a read key may run no mutation at all", async () => {
    const reader = await tenant.key(["READ"]);
    expect(mutations.length).toBeGreaterThan(15);
    for (const name of mutations) {
      const response = await tenant.gql(operation("mutation", name), {}, reader);
      expect(codes(response), name).toEqual(["FORBIDDEN"]);
    }
  });

  it("a write key may run every mutation but the admin ones", async () => {
    const writer = await tenant.key(["WRITE"]);
    for (const name of mutations) {
      const response = await tenant.gql(operation("mutation", name), {}, writer);
      if (ADMIN_ONLY.has(name)) expect(codes(response), name).toEqual(["FORBIDDEN"]);
      else expect(codes(response), name).not.toContain("FORBIDDEN");
      expect(codes(response), name).not.toContain("INTERNAL_SERVER_ERROR");
    }
  });

  it("a read key may run every query", async () => {
    const reader = await tenant.key(["READ"]);
    for (const name of queries) {
      const response = await tenant.gql(operation("query", name), {}, reader);
      if (ADMIN_ONLY.has(name)) expect(codes(response), name).toContain("FORBIDDEN");
      else expect(codes(response), name).not.toContain("FORBIDDEN");
      expect(codes(response), name).not.toContain("INTERNAL_SERVER_ERROR");
    }
  });
});
