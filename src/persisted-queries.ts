import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { connected, openRedis } from "./db/redis.js";

/** Where automatic persisted queries are kept: Redis when there is one, this process otherwise. */
export interface QueryStore {
  get(hash: string): Promise<string | undefined>;
  set(hash: string, query: string): Promise<void>;
  close(): Promise<void>;
}

const MAX_IN_PROCESS = 5_000;
const REDIS_TTL_SECONDS = 7 * 24 * 3600;

/** The most recently registered queries of this process, bounded. */
export function memoryQueryStore(max = MAX_IN_PROCESS): QueryStore {
  const queries = new Map<string, string>();
  return {
    get: async (hash) => {
      const query = queries.get(hash);
      if (query !== undefined) {
        queries.delete(hash);
        queries.set(hash, query);
      }
      return query;
    },
    set: async (hash, query) => {
      queries.delete(hash);
      queries.set(hash, query);
      if (queries.size > max) queries.delete(queries.keys().next().value!);
    },
    close: async () => {},
  };
}

/**
 * Queries shared by every instance through Redis, kept a week after their last registration. When
 * Redis is unreachable this process's own store answers, and a miss only costs the client a
 * retry with the full query.
 */
export function redisQueryStore(url: string): QueryStore {
  const redis = openRedis(url);
  const ready = connected(redis);
  const local = memoryQueryStore();
  const key = (hash: string) => `participant-graph:apq:${hash}`;
  return {
    get: async (hash) => {
      await ready;
      return (await redis.get(key(hash)).catch(() => null)) ?? (await local.get(hash));
    },
    set: async (hash, query) => {
      await local.set(hash, query);
      await ready;
      await redis.set(key(hash), query, "EX", REDIS_TTL_SECONDS).catch(() => {});
    },
    close: async () => void redis.disconnect(),
  };
}

interface PersistedQueryExtension {
  version?: unknown;
  sha256Hash?: unknown;
}

// Thrown from onParams, before Yoga's own check that a query was sent; HTTP 200 as Apollo's
// protocol has it, so that clients read the code and retry.
const apqError = (message: string, code: string) => new GraphQLError(message, { extensions: { code, http: { status: code === "PERSISTED_QUERY_NOT_FOUND" ? 200 : 400 } } });

/**
 * Automatic persisted queries, as Apollo Client's PersistedQueryLink and urql's exchange speak
 * them: a hash alone runs the query registered under it, or answers PERSISTED_QUERY_NOT_FOUND
 * (HTTP 200) so that the client sends it once more with the full text, which registers it.
 */
export function automaticPersistedQueries(store: QueryStore): Plugin {
  return {
    async onParams({ params, setParams }) {
      const persisted = (params.extensions as { persistedQuery?: PersistedQueryExtension } | undefined)?.persistedQuery;
      if (!persisted || typeof persisted !== "object") return;
      const hash = persisted.sha256Hash;
      if (persisted.version !== 1 || typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
        throw apqError("Unsupported persisted query version or hash.", "BAD_USER_INPUT");
      }
      if (params.query) {
        if (createHash("sha256").update(params.query).digest("hex") !== hash) {
          throw apqError("The query does not match its sha256Hash.", "BAD_USER_INPUT");
        }
        await store.set(hash, params.query);
        return;
      }
      const query = await store.get(hash);
      if (query === undefined) {
        throw apqError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND");
      }
      setParams({ ...params, query });
    },
  };
}

/** Trusted documents from a file of hash → document; with `only`, clients can run nothing else. */
export function trustedDocuments({ file, only }: { file: string; only: boolean }): Plugin {
  const documents = new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>));
  return usePersistedOperations({
    getPersistedOperation: (hash) => documents.get(hash) ?? null,
    allowArbitraryOperations: !only,
  });
}
