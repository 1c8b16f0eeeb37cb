import { createRequire } from "node:module";
import type { Redis } from "ioredis";

// ioredis (some 25 MiB) is loaded when Redis is configured, not by every process.
const require = createRequire(import.meta.url);

/** ioredis's client class, loaded on first use. */
export function redisClient(): typeof Redis {
  return (require("ioredis") as typeof import("ioredis")).Redis;
}

/**
 * A Redis client that never makes a request wait on an unreachable Redis: no offline queue, one
 * quick retry, errors left to the caller (each user falls back to its in-process state).
 */
export function openRedis(url: string): Redis {
  const redis = new (redisClient())(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, lazyConnect: false });
  redis.on("error", () => {});
  return redis;
}

/**
 * Resolves once the client is connected, or gave up, or after `ms`: right after start the
 * connection is still being made, and without an offline queue a command sent now would fail.
 */
export function connected(redis: Redis, ms = 1_000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve) => {
    redis.once("ready", resolve);
    redis.once("end", resolve);
    setTimeout(resolve, ms).unref();
  });
}
