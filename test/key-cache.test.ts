import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { changeEvents } from "../src/events/change-events.js";
import { codes, createHarness, request, type Harness } from "./support/harness.js";
import { REDIS_URL, redisAnswers } from "./support/redis.js";

// Verified keys are kept for a few seconds, so that most requests send no statement for their
// key; a key revoked or rotated through the graph is forgotten at once, on every instance.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const VIEWER = `{ viewer { apiKey { id } } }`;
const logger = pino({ level: "silent" });
const instance = (apiKeyCacheSeconds: number, events = changeEvents()) =>
  createApp({ db: h.db, config: { graphiql: false, apiKeyCacheSeconds }, logger, events, rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger }) });
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe("the key cache", () => {
  it("spares a known key's look-up: a request sends one statement fewer than without the cache", async () => {
    const tenant = await h.workspace();
    const key = await tenant.key(["READ"]);
    // The first request also notes when the key was last used: compare the ones after it.
    const steady = async (app: ReturnType<typeof instance>) => {
      await request(app, VIEWER, {}, as(key));
      return (await request(app, VIEWER, {}, as(key))).statements;
    };
    const cached = await steady(instance(60));
    const uncached = await steady(instance(0));
    expect(cached).toBe(uncached - 1);
  });

  it("forgets a revoked key at once: it fails on the next request", async () => {
    const tenant = await h.workspace();
    const key = await tenant.key(["READ"]);
    const app = instance(60);
    const { data } = await request(app, VIEWER, {}, as(key));
    await request(app, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: data!.viewer.apiKey.id }, as(tenant.adminKey));
    expect(codes(await request(app, VIEWER, {}, as(key)))).toEqual(["UNAUTHENTICATED"]);
  });

  it("forgets a rotated key at once: the old secret fails on the next request", async () => {
    const tenant = await h.workspace();
    const key = await tenant.key(["READ"]);
    const app = instance(60);
    const { data } = await request(app, VIEWER, {}, as(key));
    const rotated = await request(app, `mutation($id: ID!) { rotateApiKey(id: $id) { secret } }`, { id: data!.viewer.apiKey.id }, as(tenant.adminKey));
    expect(codes(await request(app, VIEWER, {}, as(key)))).toEqual(["UNAUTHENTICATED"]);
    expect((await request(app, VIEWER, {}, as(rotated.data!.rotateApiKey.secret))).status).toBe(200);
  });

  it("forgets a key revoked on another instance, through Redis", async (context) => {
    if (!(await redisAnswers())) return context.skip();
    const tenant = await h.workspace();
    const key = await tenant.key(["READ"]);
    // Kept a minute on both: a refusal sooner can only come from the word about the revocation.
    const a = instance(60, changeEvents(REDIS_URL));
    const b = instance(60, changeEvents(REDIS_URL));
    const { data } = await request(b, VIEWER, {}, as(key));
    expect(data!.viewer.apiKey.id).toBeTruthy();
    // Word sent before b's Redis subscription is in place is lost: revoke (again) until b hears.
    let refused = false;
    for (let i = 0; i < 20 && !refused; i++) {
      await request(a, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: data!.viewer.apiKey.id }, as(tenant.adminKey));
      await new Promise((resolve) => setTimeout(resolve, 250));
      refused = (await request(b, VIEWER, {}, as(key))).status === 401;
    }
    expect(refused).toBe(true);
  });

  it("keeps a key revoked behind the server's back no longer than API_KEY_CACHE_SECONDS", async () => {
    const tenant = await h.workspace();
    const key = await tenant.key(["READ"]);
    const app = instance(1);
    const { data } = await request(app, VIEWER, {}, as(key));
    await h.db.prisma.apiKey.update({ where: { id: data!.viewer.apiKey.id }, data: { revokedAt: new Date() } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(codes(await request(app, VIEWER, {}, as(key)))).toEqual(["UNAUTHENTICATED"]);
  });
});
