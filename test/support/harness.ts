import { pino } from "pino";
import { createApp, type App } from "../../src/app.js";
import { createRateLimiter } from "../../src/auth/rate-limit.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { countStatements } from "../../src/db/statement-counter.js";
import { createWorkspace } from "../../src/services/workspace.js";

/** Which database the suite runs on: PostgreSQL when DATABASE_URL is set, else in-memory PGlite. */
export const databaseKind: "postgres" | "pglite" = process.env.DATABASE_URL ? "postgres" : "pglite";

export async function openTestDatabase(): Promise<Database> {
  const db = process.env.DATABASE_URL
    ? await openDatabase({ kind: "postgres", url: process.env.DATABASE_URL, poolSize: 10 })
    : await openDatabase({ kind: "pglite", dataDir: "memory://" });
  await migrate(db.driver);
  return db;
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: { message: string; path?: string[]; extensions: Record<string, any> }[] | undefined;
  /** SQL statements the request sent. */
  statements: number;
}

export interface Harness {
  db: Database;
  app: App;
  workspace(name?: string): Promise<Tenant>;
  close(): Promise<void>;
}

export interface Tenant {
  workspaceId: string;
  adminKey: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  /** Like gql, but fails the test on any error, and returns data. */
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<T>;
  key(scopes: ("READ" | "WRITE" | "ADMIN")[], buckets?: string[]): Promise<string>;
}

export async function request(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse> {
  const { result: response, statements } = await countStatements(() =>
    Promise.resolve(
      app.fetch("http://test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
        body: JSON.stringify({ query, variables }),
      }),
    ),
  );
  const body = (await response.json()) as { data?: any; errors?: any[] };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors, statements };
}

/** A database, an app over it, and factories for fresh workspaces: each test makes its own world. */
export async function createHarness(): Promise<Harness> {
  const db = await openTestDatabase();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  // Tests send bursts far beyond a real client's; rate limiting has tests of its own.
  const rateLimiter = createRateLimiter({ perMinute: 1_000_000, logger });
  // Every request looks its key up, so that statement counts do not depend on when a cached key
  // expires; the cache has tests of its own (key-cache.test.ts).
  const app = createApp({ db, config: { graphiql: true, federatedTracing: true, apiKeyCacheSeconds: 0 }, logger, rateLimiter });
  return {
    db,
    app,
    async workspace(name = "Test workspace") {
      const { workspace, secret } = await createWorkspace(db.prisma, name);
      const tenant: Tenant = {
        workspaceId: workspace.id,
        adminKey: secret,
        gql: (query, variables, key = secret) =>
          request(app, query, variables, key ? { authorization: `Bearer ${key}` } : {}) as never,
        async ok(query, variables, key) {
          const response = await tenant.gql(query, variables, key);
          if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
          return response.data as never;
        },
        async key(scopes, buckets) {
          const data = await tenant.ok(
            `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
            { input: { name: `key ${scopes.join("+")}`, scopes, buckets } },
          );
          return data.createApiKey.secret;
        },
      };
      return tenant;
    },
    close: () => db.close(),
  };
}

/** The `extensions.code` of every error in a response. */
export const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions.code);
