// Writes the printed subgraph schema to schema.graphql; a test fails when the file is stale.
import { writeFileSync } from "node:fs";
import { printSchema } from "../src/schema/index.js";

const path = new URL("../schema.graphql", import.meta.url);
writeFileSync(path, printSchema());
console.log(`Wrote ${path.pathname}`);
