// GraphQL Code Generator for a TypeScript frontend: typed documents from the client schema
// (schema.client.graphql, no federation internals) with this service's scalars mapped.
// Copy it into your app and point `documents` at your own operations.
import type { CodegenConfig } from "@graphql-codegen/cli";
import scalars from "./scalars.json" with { type: "json" };

const config: CodegenConfig = {
  schema: "schema.client.graphql",
  documents: ["clients/example/**/*.graphql"],
  generates: {
    "clients/example/__generated__/": {
      preset: "client",
      config: {
        // Every scalar has a type: DateTime and Decimal are strings (Decimal stays exact as text).
        scalars,
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
