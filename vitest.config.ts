import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module). Node loads the CJS one for our dependencies;
    // the same must serve our sources, or its classes exist twice and `instanceof` fails.
    alias: { graphql: "graphql/index.js" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Each file opens its own database (an in-memory PGlite, or a pool on PostgreSQL); two at a
    // time keeps a 2-core machine responsive.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
