import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter, type RateLimiter } from "../src/auth/rate-limit.js";
import { REDIS_URL, redisAnswers } from "./support/redis.js";
import { createHarness, request, type Harness, type Tenant } from "./support/harness.js";

const redisUp = await redisAnswers();
const QUERY = "{ viewer { workspace { id } } }";

let h: Harness;
let tenant: Tenant;
const limiters: RateLimiter[] = [];

function limitedApp(perMinute: number, redisUrl?: string, logger = pino({ level: "silent" })) {
  // A fresh prefix per app keeps runs of this test from sharing counts in Redis.
  const rateLimiter = createRateLimiter({ perMinute, redisUrl, logger, keyPrefix: `test:${randomUUID()}` });
  limiters.push(rateLimiter);
  return { app: createApp({ db: h.db, config: { graphiql: false }, logger, rateLimiter }), rateLimiter };
}

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Rate limits");
});
afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  await h.close();
});

describe("rate limiting per API key", () => {
  it("counts down in X-RateLimit-* headers, then answers 429 RATE_LIMITED with Retry-After", async () => {
    const { app } = limitedApp(3);
    const key = await tenant.key(["READ"]);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await request(app, QUERY, {}, { authorization: `Bearer ${key}` });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-limit")).toBe("3");
      expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
      remaining.push(response.headers.get("x-ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await request(app, QUERY, {}, { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    // Another key has its own allowance.
    const other = await request(app, QUERY, {}, { authorization: `Bearer ${await tenant.key(["READ"])}` });
    expect(other.status).toBe(200);
  });

  it.skipIf(!redisUp)("shares the count across two instances through Redis", async () => {
    const prefix = `test:${randomUUID()}`;
    const logger = pino({ level: "silent" });
    const apps = [0, 1].map(() => {
      const rateLimiter = createRateLimiter({ perMinute: 4, redisUrl: REDIS_URL, logger, keyPrefix: prefix });
      limiters.push(rateLimiter);
      return createApp({ db: h.db, config: { graphiql: false }, logger, rateLimiter });
    });
    const key = await tenant.key(["READ"]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(apps[i % 2]!, QUERY, {}, { authorization: `Bearer ${key}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it("falls back to local limits, with a logged warning, when Redis is down", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const { app } = limitedApp(2, "redis://127.0.0.1:1", logger);
    const key = await tenant.key(["READ"]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(app, QUERY, {}, { authorization: `Bearer ${key}` })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(lines.some((l) => /"level":40/.test(l) && /Redis unreachable/.test(l))).toBe(true);
  });
});
