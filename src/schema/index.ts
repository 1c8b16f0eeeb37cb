import "./common.js";
import "./api-key.js";
import "./workspace.js";
import "./person.js";
import "./attribute.js";
import "./program.js";
import "./custom-field.js";
import "./person-field.js";
import "./participant.js";
import "./ledger.js";
import "./change.js";
import "./webhook.js";
import "./import-export.js";
import "./node.js";
import { printSubgraphSchema } from "@apollo/subgraph";
import { lexicographicSortSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder.js";
import { printClientSchema as printClientSdl } from "./client-schema.js";
import { isolateEntityReferences } from "./entity-reference.js";

let schema: GraphQLSchema | undefined;

/** The executable schema, a Federation v2 subgraph (`_service`, `_entities`). */
export function buildSchema(): GraphQLSchema {
  if (!schema) {
    schema = builder.toSubGraphSchema({
      linkUrl: "https://specs.apollo.dev/federation/v2.6",
      federationDirectives: ["@key", "@shareable"],
    });
    isolateEntityReferences(schema);
  }
  return schema;
}

/** The printed SDL, as committed in schema.graphql. */
export function printSchema(): string {
  return printSubgraphSchema(lexicographicSortSchema(buildSchema())).trimEnd() + "\n";
}

/** The schema clients compile against (Relay, codegen), as committed in schema.client.graphql. */
export function printClientSchema(): string {
  return printClientSdl(buildSchema());
}
