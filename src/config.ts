import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_LIMITS, type QueryLimits } from "./limits.js";

/**
 * The embedded database's page cache. PostgreSQL's default (128MB) is touched in full at start,
 * most of a first start's memory; the files behind it are in the operating system's cache anyway.
 */
export const DEFAULT_EMBEDDED_SHARED_BUFFERS = "32MB";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  DATA_DIR: z.string().default("./.data"),
  EMBEDDED_SHARED_BUFFERS: z.string().regex(/^\d+(kB|MB|GB)$/, "a size such as 32MB").default(DEFAULT_EMBEDDED_SHARED_BUFFERS),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("0.0.0.0"),
  REDIS_URL: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((urls) => urls.split(",").map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, "must be postgresql:// URLs, comma-separated")))
    .optional(),
  GRAPHIQL: z.stringbool().default(true),
  SEED_DEMO: z.stringbool().optional(),
  PERSISTED_OPERATIONS_FILE: z.string().optional(),
  PERSISTED_OPERATIONS_ONLY: z.stringbool().default(false),
  BATCH_LIMIT: z.coerce.number().int().min(0).max(100).default(10),
  FEDERATED_TRACING: z.stringbool().default(false),
  INTROSPECTION: z.stringbool().default(true),
  SQL_STATEMENTS_HEADER: z.stringbool().default(false),
  DIRECT_READS: z.stringbool().default(true),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  MAX_DEPTH: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxDepth),
  MAX_COST: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxCost),
  MAX_ALIASES: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxAliases),
  MAX_TOKENS: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxTokens),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(DEFAULT_LIMITS.maxBodyBytes),
  WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().positive().max(3600).default(5),
  WEBHOOK_RETRY_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(300).optional(),
});

export type DatabaseConfig =
  | { kind: "postgres"; url: string; poolSize: number; replicaUrls?: string[] }
  | {
      kind: "pglite";
      dataDir: string;
      sharedBuffers?: string;
      /** A new database starts from the install's migrated cluster (default), or from an empty one. */
      fromMigratedTemplate?: boolean;
    };

export interface Config {
  database: DatabaseConfig;
  port: number;
  host: string;
  redisUrl: string | undefined;
  rateLimitPerMinute: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Unset: pretty on a terminal, JSON lines otherwise. */
  logFormat: "json" | "pretty" | undefined;
  graphiql: boolean;
  /** A demo workspace on the first start of an empty database: by default on the embedded one only. */
  seedDemo: boolean;
  /** Where the demo workspace's key is kept so that later starts can show it again. */
  demoKeyDir: string;
  /** A JSON file of { "<sha256 hash>": "<query>" }; with `only`, nothing else is executed. */
  persistedOperations: { file: string; only: boolean } | undefined;
  /** Operations one request may batch; 0 turns batching off. */
  batchLimit: number;
  /** Apollo federated tracing (ftv1) for routers that ask for it; it wraps every resolver. */
  federatedTracing: boolean;
  /** X-SQL-Statements on every response: a diagnostic for benchmarks, off by default. */
  sqlStatementsHeader: boolean;
  /** Participant reads answered with PostgreSQL's JSON text as it is (src/direct); on by default. */
  directReads: boolean;
  /** How long a stopping server waits for the requests in flight. */
  shutdownTimeoutMs: number;
  limits: QueryLimits;
  webhooks: WebhookConfig;
  /** How long a verified key is kept (0: looked up on every request). */
  apiKeyCacheSeconds: number;
}

export interface WebhookConfig {
  /** Loopback, private and link-local targets, refused unless allowed (tests, development). */
  allowPrivate: boolean;
  /** The first retry's delay; each later one doubles it. */
  retryBaseSeconds: number;
  /** How long a delivery is retried before it is FAILED. */
  retryHours: number;
}

/** See auth/key-cache.ts: a key revoked other than through the graph works at most this long. */
export const DEFAULT_API_KEY_CACHE_SECONDS = 5;

export const DEFAULT_WEBHOOKS: WebhookConfig = { allowPrivate: false, retryBaseSeconds: 5, retryHours: 24 };

/** Reads the environment once into a typed config; an invalid variable stops start-up with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(emptyToUndefined(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.DATABASE_REPLICA_URLS?.length && !e.DATABASE_URL) throw new Error("Invalid configuration: DATABASE_REPLICA_URLS: replicas need a primary in DATABASE_URL");
  return {
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, replicaUrls: e.DATABASE_REPLICA_URLS }
      : { kind: "pglite", dataDir: resolve(e.DATA_DIR), sharedBuffers: e.EMBEDDED_SHARED_BUFFERS },
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    graphiql: e.GRAPHIQL,
    seedDemo: e.SEED_DEMO ?? !e.DATABASE_URL,
    demoKeyDir: resolve(e.DATA_DIR),
    persistedOperations: e.PERSISTED_OPERATIONS_FILE
      ? { file: resolve(e.PERSISTED_OPERATIONS_FILE), only: e.PERSISTED_OPERATIONS_ONLY }
      : undefined,
    batchLimit: e.BATCH_LIMIT,
    federatedTracing: e.FEDERATED_TRACING,
    sqlStatementsHeader: e.SQL_STATEMENTS_HEADER,
    directReads: e.DIRECT_READS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    limits: {
      ...DEFAULT_LIMITS,
      maxDepth: e.MAX_DEPTH,
      maxCost: e.MAX_COST,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      introspection: e.INTROSPECTION,
    },
    apiKeyCacheSeconds: e.API_KEY_CACHE_SECONDS ?? DEFAULT_API_KEY_CACHE_SECONDS,
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE, retryBaseSeconds: e.WEBHOOK_RETRY_BASE_SECONDS, retryHours: e.WEBHOOK_RETRY_HOURS },
  };
}

// `FOO=` in a shell or .env means "not set", not "set to the empty string".
function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === "" ? undefined : v]));
}
