import { useApolloInlineTrace } from "@graphql-yoga/plugin-apollo-inline-trace";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { useContentEncoding } from "@whatwg-node/server";
import { createYoga, type Plugin, useReadinessCheck, type YogaServerInstance } from "graphql-yoga";
import { Registry, collectDefaultMetrics } from "prom-client";
import { authenticate, type Caller } from "./auth/api-key.js";
import { KeyCache } from "./auth/key-cache.js";
import { createRateLimiter, rateLimitHeaders, type RateLimitDecision, type RateLimiter } from "./auth/rate-limit.js";
import { ScopedClients } from "./auth/tenant-scope.js";
import { compatApi } from "./compat/index.js";
import { useCompiledExecution } from "./compiled-execution.js";
import { useDirectReads } from "./direct/plugin.js";
import { DEFAULT_API_KEY_CACHE_SECONDS, DEFAULT_WEBHOOKS, type Config } from "./config.js";
import type { Database } from "./db/client.js";
import { currentTally } from "./db/statement-counter.js";
import { errorHandling } from "./error-handling.js";
import { RateLimited } from "./errors.js";
import { graphiqlAssets, graphiqlOptions, renderLocalGraphiQL } from "./graphiql.js";
import { landing } from "./landing.js";
import { DEFAULT_LIMITS, queryLimitPlugins } from "./limits.js";
import { createLoaders } from "./loaders/index.js";
import type { Logger } from "./logger.js";
import { boundedMetrics, directReadCounter } from "./metrics.js";
import { automaticPersistedQueries, memoryQueryStore, trustedDocuments, type QueryStore } from "./persisted-queries.js";
import { requestGate } from "./request-gate.js";
import { carryRequestId, requestIdOf } from "./request-id.js";
import type { Context } from "./schema/builder.js";
import { useClientIntrospection } from "./schema/client-schema.js";
import { buildSchema } from "./schema/index.js";
import { createServices } from "./services/index.js";
import { ProgramIdCache } from "./services/program-ids.js";
import { createStores } from "./stores/index.js";
import { announceCommits } from "./events/announce-commits.js";
import { operationKind, useParsedDocument, type ParsedDocumentContext } from "./operation-kind.js";
import { changeEvents, type ChangeEvents } from "./events/change-events.js";

export interface AppDeps {
  db: Database;
  config: Pick<Config, "graphiql"> &
    Partial<Pick<Config, "persistedOperations" | "batchLimit" | "limits" | "federatedTracing" | "sqlStatementsHeader" | "directReads" | "webhooks" | "apiKeyCacheSeconds">>;
  logger: Logger;
  /** Requests per minute per key; by default an in-process limiter at the spec's 600/minute. */
  rateLimiter?: RateLimiter;
  /** Where automatic persisted queries are kept; by default in this process. */
  queryStore?: QueryStore;
  /** Headers GraphiQL starts with, e.g. the demo workspace's API key. */
  graphiqlHeaders?: Record<string, string>;
  /** Word of committed changes between writers and live readers; by default within this process. */
  events?: ChangeEvents;
}

export type App = YogaServerInstance<Record<string, never>, Context>;

const rateLimits = new WeakMap<Request, RateLimitDecision>();

const startedAt = new WeakMap<Request, number>();
const PROBES = new Set(["/health", "/ready", "/metrics"]);

/**
 * Compression for every response but streams (subscriptions over server-sent events, incremental
 * delivery): a compressor holds small events back until its buffer fills, so a subscriber would
 * wait for kilobytes of changes before it saw the first.
 */
function compressedExceptStreams(): Plugin {
  const compression = useContentEncoding() as Plugin;
  return {
    ...compression,
    onResponse(payload) {
      const type = payload.response.headers.get("content-type") ?? "";
      if (type.startsWith("text/event-stream") || type.startsWith("multipart/mixed")) return;
      return compression.onResponse?.(payload);
    },
  };
}

/** `to` stands in for `from` once the request gate hands on a copy with the body buffered. */
function carryRequestState(from: Request, to: Request): void {
  carryRequestId(from, to);
  const started = startedAt.get(from);
  if (started !== undefined) startedAt.set(to, started);
}

/** Request ids, rate-limit headers (and, when asked for, the SQL count) on every response, and one log line each. */
function requestIdPlugin(logger: Logger, { sqlStatementsHeader }: { sqlStatementsHeader: boolean }): Plugin {
  return {
    onRequest({ request }) {
      startedAt.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request);
      response.headers.set("X-Request-Id", requestId);
      const began = startedAt.get(request);
      const path = new URL(request.url).pathname;
      // Probes and scrapes arrive every few seconds: they would drown the requests that matter.
      const level = PROBES.has(path) && response.status < 400 ? "debug" : "info";
      logger[level]({ requestId, method: request.method, path, status: response.status, ms: began && Math.round(performance.now() - began) }, "request");
      const limit = rateLimits.get(request);
      if (limit) for (const [name, value] of Object.entries(rateLimitHeaders(limit))) response.headers.set(name, value);
      const tally = sqlStatementsHeader ? currentTally() : undefined;
      if (tally) response.headers.set("X-SQL-Statements", String(tally.count));
    },
  };
}

/** Builds the GraphQL server from its dependencies. It never listens: see server.ts. */
export function createApp({ db, config, logger, graphiqlHeaders, rateLimiter, queryStore, events: givenEvents }: AppDeps): App {
  const limiter = rateLimiter ?? createRateLimiter({ perMinute: 600, logger });
  const scopedClients = new Map<Database, ScopedClients>();
  const scopedFor = (database: Database) => {
    let clients = scopedClients.get(database);
    if (!clients) scopedClients.set(database, (clients = new ScopedClients(database.prisma)));
    return clients;
  };
  const programIds = new ProgramIdCache();
  const events = givenEvents ?? changeEvents();
  const keys = new KeyCache((config.apiKeyCacheSeconds ?? DEFAULT_API_KEY_CACHE_SECONDS) * 1000);
  events.onKeyRevoked((id) => keys.forget(id));
  const committed = (workspaceId: string) => {
    db.replicas?.wrote(workspaceId);
    events.committed(workspaceId);
  };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const limits = config.limits ?? DEFAULT_LIMITS;
  const errors = errorHandling(logger, { suggest: limits.introspection, requestIdOf });
  const gate = requestGate({ db, keys, graphqlEndpoint: "/graphql", maxBodyBytes: limits.maxBodyBytes, onReplace: carryRequestState });

  /** The workspace-scoped client, stores, loaders and services of one request of this caller. */
  const requestScope = (caller: Caller, database = db) => {
    const scopedDb = scopedFor(database).for(caller.workspaceId);
    const stores = createStores(database, caller.workspaceId);
    const scope = { db: scopedDb, database, caller, loaders: createLoaders(scopedDb, stores), stores, programIds, events, webhooks: config.webhooks ?? DEFAULT_WEBHOOKS };
    return { scope, services: createServices(scope) };
  };

  const schema = buildSchema();
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // The request gate bounds every body Yoga parses (Content-Length checked, a body without one
    // buffered up to the limit); Yoga's own bound would pipe every body through a stream again.
    maxRequestBodySize: false,
    healthCheckEndpoint: "/health",
    landingPage: false,
    renderGraphiQL: renderLocalGraphiQL,
    batching: (config.batchLimit ?? 10) > 0 ? { limit: config.batchLimit ?? 10 } : false,
    logging: logger,
    graphiql: config.graphiql ? (request) => graphiqlOptions(request, graphiqlHeaders) : false,
    context: async (initial): Promise<Context> => {
      const { request } = initial;
      const caller = gate.callerOf(request) ?? (await authenticate(db, request.headers, keys));
      const decision = await limiter.consume(caller.apiKeyId);
      rateLimits.set(request, decision);
      if (!decision.allowed) throw new RateLimited(decision.retryAfter);
      const requestId = requestIdOf(request);
      // Queries read from a replica when there are any; mutations and subscriptions stay on the primary.
      const reads = operationKind(initial as ParsedDocumentContext, initial.params.operationName) === "query";
      const database = db.replicas && reads ? await db.replicas.forReading(caller.workspaceId) : db;
      const { scope, services } = requestScope({ ...caller, requestId }, database);
      return { requestId, caller: scope.caller, db: scope.db, loaders: scope.loaders, services };
    },
    maskedErrors: errors.masking,
    plugins: [
      useParsedDocument(),
      useCompiledExecution(),
      // After it: a read it cannot answer runs compiled.
      ...(config.directReads === false ? [] : [useDirectReads(directReadCounter(registry))]),
      announceCommits(committed),
      useClientIntrospection(schema),
      requestIdPlugin(logger, { sqlStatementsHeader: config.sqlStatementsHeader ?? false }),
      ...errors.plugins,
      // Every authenticated request carries a header a browser cannot send cross-site without a
      // preflight, so those headers count as CSRF proof as well as Yoga's own.
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "apollo-require-preflight", "authorization", "x-api-key"] }),
      // After CSRF prevention: a cross-site request is refused as such before its key is looked at.
      gate.plugin,
      // Responses compressed for clients that accept it (GraphiQL's 9 MB of scripts, large pages).
      compressedExceptStreams(),
      // Trusted documents when a file lists them; otherwise any client may register its queries.
      config.persistedOperations ? trustedDocuments(config.persistedOperations) : automaticPersistedQueries(queryStore ?? memoryQueryStore()),
      ...queryLimitPlugins(limits),
      ...(config.graphiql ? [graphiqlAssets()] : []),
      landing("/graphql"),
      compatApi({
        db,
        keys,
        limiter,
        maxBodyBytes: limits.maxBodyBytes,
        servicesFor: (caller) => requestScope(caller).services,
        committed,
        onUnexpected: (error) => logger.error({ err: error }, "unexpected error in a dialect"),
      }),
      // Federated tracing (ftv1) for routers that ask for it. Off by default: it wraps every
      // resolver of the schema, which costs about a tenth of a large page's time even when no
      // router asks.
      ...(config.federatedTracing ? [useApolloInlineTrace()] : []),
      useReadinessCheck({
        endpoint: "/ready",
        check: async () => {
          try {
            await db.ping();
            return true;
          } catch {
            return false;
          }
        },
      }),
      usePrometheus({ endpoint: "/metrics", registry, ...boundedMetrics(registry) }),
    ],
  });
}
