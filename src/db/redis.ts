import { Redis } from "ioredis";

/**
 * A Redis client that never makes a request wait on an unreachable Redis: no offline queue, one
 * quick retry, errors left to the caller (each user falls back to its in-process state).
 */
export function openRedis(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, lazyConnect: false });
  redis.on("error", () => {});
  return redis;
}
