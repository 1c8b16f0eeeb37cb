import {
  execute,
  getOperationAST,
  GraphQLObjectType,
  Kind,
  GraphQLSchema,
  isIntrospectionType,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  printSchema,
  specifiedDirectives,
  type GraphQLNamedType,
} from "graphql";
import type { Plugin } from "graphql-yoga";

// What federation adds for routers: root fields, their types and directives. Clients (Relay,
// codegen, GraphiQL's docs) see the schema without them.
const FEDERATION_FIELDS = new Set(["_entities", "_service"]);
const isFederationType = (type: GraphQLNamedType) =>
  type.name.startsWith("_") || type.name.startsWith("link__") || type.name.startsWith("federation__") || type.name === "FieldSet";

/** The schema as clients see it: no `_entities`, `_service`, `_Any`, `@link`, `@key` … */
export function clientSchemaOf(schema: GraphQLSchema): GraphQLSchema {
  const queryConfig = schema.getQueryType()!.toConfig();
  const query = new GraphQLObjectType({
    ...queryConfig,
    astNode: undefined,
    extensionASTNodes: [],
    fields: Object.fromEntries(Object.entries(queryConfig.fields).filter(([name]) => !FEDERATION_FIELDS.has(name))),
  });
  const config = schema.toConfig();
  return new GraphQLSchema({
    query,
    mutation: config.mutation,
    subscription: config.subscription,
    types: config.types.filter(
      (type) => type.name !== query.name && !isFederationType(type) && !isIntrospectionType(type) && !isSpecifiedScalarType(type),
    ),
    directives: specifiedDirectives,
    assumeValid: true,
  });
}

/** The client schema's SDL, as committed in schema.client.graphql. */
export function printClientSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(clientSchemaOf(schema))).trimEnd() + "\n";
}

/**
 * Introspection answers with the client schema, so that GraphiQL's docs and tools that
 * introspect show what a client can use; routers read the subgraph SDL from `_service`.
 */
export function useClientIntrospection(schema: GraphQLSchema): Plugin {
  const client = clientSchemaOf(schema);
  return {
    onExecute({ args, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const introspectionOnly = operation?.selectionSet.selections.every(
        (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith("__"),
      );
      if (introspectionOnly) setExecuteFn((executionArgs) => execute({ ...executionArgs, schema: client }));
    },
  };
}
