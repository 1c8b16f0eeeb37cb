import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { connected, openRedis } from "../db/redis.js";
import type { Logger } from "../logger.js";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix time, in seconds, when the window resets. */
  resetAt: number;
  /** Seconds to wait before retrying, when not allowed. */
  retryAfter: number;
}

/** The headers every response carries about its key's limit (SPEC §1), whichever API answers. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(decision.resetAt),
  };
}

export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 60;

function decision(limit: number, res: RateLimiterRes, allowed: boolean): RateLimitDecision {
  const msBeforeNext = Math.max(0, res.msBeforeNext);
  return {
    allowed,
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetAt: Math.ceil((Date.now() + msBeforeNext) / 1000),
    retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)),
  };
}

async function consumeWith(limiter: RateLimiterMemory | RateLimiterRedis, limit: number, key: string): Promise<RateLimitDecision> {
  try {
    return decision(limit, await limiter.consume(key), true);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return decision(limit, rejection, false);
    throw rejection;
  }
}

/**
 * Requests per minute per API key. With Redis the count is shared by every instance; when Redis
 * cannot be reached each instance falls back to its own count (and says so in the log) rather
 * than refusing or waving through every request.
 */
export function createRateLimiter(options: { perMinute: number; redisUrl?: string; logger: Logger; keyPrefix?: string }): RateLimiter {
  const { perMinute, logger } = options;
  const keyPrefix = options.keyPrefix ?? "participant-graph:rl";
  const memory = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS, keyPrefix });
  if (!options.redisUrl) {
    return { consume: (key) => consumeWith(memory, perMinute, key), close: async () => {} };
  }
  const redis = openRedis(options.redisUrl);
  const shared = new RateLimiterRedis({ storeClient: redis, points: perMinute, duration: WINDOW_SECONDS, keyPrefix });
  let degraded = false;
  // Right after start the connection is still being made: wait for it briefly rather than
  // counting the first requests locally.
  const ready = connected(redis);
  return {
    async consume(key) {
      if (redis.status !== "ready") await ready;
      try {
        const result = await consumeWith(shared, perMinute, key);
        if (degraded) {
          degraded = false;
          logger.info("rate limits shared through Redis again");
        }
        return result;
      } catch (error) {
        if (!degraded) {
          degraded = true;
          logger.warn({ err: error }, "Redis unreachable: rate limits fall back to this instance's own counts");
        }
        return consumeWith(memory, perMinute, key);
      }
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
