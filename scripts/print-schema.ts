// Writes the printed subgraph schema to schema.graphql and the client schema (no federation
// internals) to schema.client.graphql; a test fails when either file is stale.
import { writeFileSync } from "node:fs";
import { printClientSchema, printSchema } from "../src/schema/index.js";

for (const [file, print] of [
  ["../schema.graphql", printSchema],
  ["../schema.client.graphql", printClientSchema],
] as const) {
  const path = new URL(file, import.meta.url);
  writeFileSync(path, print());
  console.log(`Wrote ${path.pathname}`);
}
