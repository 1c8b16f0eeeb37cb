import SchemaBuilder from "@pothos/core";
import { GraphQLScalarType } from "graphql";
import DirectivePlugin from "@pothos/plugin-directives";
import FederationPlugin from "@pothos/plugin-federation";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { JSONObjectResolver, JSONResolver } from "graphql-scalars";
import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Forbidden } from "../errors.js";
import PrismaTypes, { getDatamodel } from "../generated/pothos-types.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Loaders } from "../loaders/index.js";
import type { Services } from "../services/index.js";
import { DateTimeScalar } from "./datetime-scalar.js";
import { DecimalScalar, type DecimalValue } from "./decimal-scalar.js";

export interface Context {
  requestId: string;
  caller: Caller;
  /** Prisma, scoped to the caller's workspace: plugin-prisma's client. Resolvers use `services`. */
  db: ScopedPrisma;
  loaders: Loaders;
  /** The domain operations of this request: every read and write of a resolver goes through them. */
  services: Services;
}

interface BuilderTypes {
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { read: boolean; write: boolean; admin: boolean };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    Decimal: { Input: string; Output: DecimalValue };
  };
}

export type Types = PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>;
export type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">;

export const builder = new SchemaBuilder<BuilderTypes>({
  // Federation wraps resolvers last, after auth has wrapped them.
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, DirectivePlugin, FederationPlugin],
  prisma: {
    // Every Prisma query a plugin issues goes through the caller's workspace-scoped client.
    client: (ctx) => ctx.db as unknown as PrismaClient,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    cursorType: "String",
    // Every Relay-style subgraph defines PageInfo: shareable, so that they compose.
    pageInfoTypeOptions: { shareable: true },
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
  scopeAuth: {
    authScopes: (ctx) => ({
      read: ctx.caller.scopes.has("read"),
      write: ctx.caller.scopes.has("write"),
      admin: ctx.caller.scopes.has("admin"),
    }),
    unauthorizedError: (_parent, _ctx, _info, result) => new Forbidden(result.message),
  },
});

builder.addScalarType("DateTime", DateTimeScalar);
/**
 * The JSON scalars with a parseLiteral graphql-jit does not warn about: it warns once per
 * compiled document for any parseLiteral declaring the variables parameter, though a document
 * with variables inside a literal never reaches it (compiled-execution.ts). graphql-js still
 * passes the variables through the rest parameter.
 */
const quiet = (scalar: GraphQLScalarType) =>
  new GraphQLScalarType({ ...scalar.toConfig(), parseLiteral: (...args: Parameters<GraphQLScalarType["parseLiteral"]>) => scalar.parseLiteral(...args) });

builder.addScalarType("JSON", quiet(JSONResolver));
builder.addScalarType("JSONObject", quiet(JSONObjectResolver));
builder.addScalarType("Decimal", DecimalScalar);

// Reading needs `read`, writing `write`; fields that need `admin` say so where they are defined.
builder.queryType({ authScopes: { read: true } });
builder.mutationType({ authScopes: { write: true } });
