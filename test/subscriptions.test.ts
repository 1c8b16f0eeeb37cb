import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createApp, type App } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { changeEvents, type ChangeEvents } from "../src/events/change-events.js";
import { serveGraphqlWs } from "../src/graphql-ws.js";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { REDIS_URL, redisAnswers } from "./support/redis.js";

// SPEC §10: Subscription.changes over GraphQL-over-SSE and graphql-ws, after commit, replaying
// from `after`, across instances through Redis, ended when the key is revoked.
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
let h: Harness;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
  await h.close();
});

/** An instance of the server on a port of its own, over the shared database, with WebSockets. */
async function instance(events: ChangeEvents): Promise<{ app: App; url: string }> {
  const app = createApp({ db: h.db, config: { graphiql: false }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger }), events });
  const server: Server = createServer(app);
  const sockets = serveGraphqlWs(server, app, h.db, 1_000_000);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  opened.push({
    async close() {
      events.stopListening();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await events.close();
    },
  });
  return { app, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

const SUBSCRIPTION = `subscription($filter: ChangeFilter, $after: String) { changes(filter: $filter, after: $after) { id entityId entityType operation source fields { path after } } }`;

/** Collects what a subscription sends until `count` arrived (or it ended). */
function collect(subscribe: (sink: { next(v: any): void; error(e: unknown): void; complete(): void }) => () => void, count: number) {
  const received: any[] = [];
  let ended: unknown;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const dispose = subscribe({
    next: (value) => {
      received.push(value);
      if (received.length >= count) resolveDone();
    },
    error: (error) => {
      ended = error;
      resolveDone();
    },
    complete: () => resolveDone(),
  });
  return { received, done, dispose, ended: () => ended };
}

const within = <T,>(promise: Promise<T>, ms: number) => Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]);

function wsClient(url: string, key: string) {
  const client = createWsClient({ url: url.replace("http", "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: true });
  opened.push({ close: () => client.dispose() as Promise<void> });
  return client;
}

function sseClient(url: string, key: string) {
  const client = createSseClient({ url, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
  opened.push({ close: async () => client.dispose() });
  return client;
}

const since = async (tenant: Tenant) => (await tenant.ok(`{ changes(first: 100) { pageInfo { endCursor } } }`)).changes.pageInfo.endCursor;

describe("queries over graphql-ws", () => {
  it("answers a participant page as over HTTP (never the direct reads' placeholder, which only HTTP writes out)", async () => {
    const { url } = await instance(changeEvents());
    const tenant = await h.workspace();
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    const participant = await enroll(tenant, program.key, { customFields: [{ key: "size", value: "M" }] });
    const query = `query($key: String!) { participants(programKey: $key, first: 5) { edges { node { id customFields { key value } } } } }`;
    const answer = collect((sink) => wsClient(url, tenant.adminKey).subscribe({ query, variables: { key: program.key } }, sink), 1);
    expect(await within(answer.done, 10_000)).toBe(true);
    expect(answer.received[0]).toEqual(await tenant.gql(query, { key: program.key }).then((r) => ({ data: r.data })));
    expect(answer.received[0].data.participants.edges[0].node).toEqual({ id: participant.id, customFields: [{ key: "size", value: "M" }] });
  });
});

describe("Subscription.changes", () => {
  it("over graphql-ws: live changes after commit, and a replay from a cursor first", async () => {
    const { url } = await instance(changeEvents());
    const tenant = await h.workspace();
    const before = await createPerson(tenant, { firstName: "Before" });
    const cursor = await since(tenant);
    const earlier = await createPerson(tenant, { firstName: "Earlier" });
    const client = wsClient(url, tenant.adminKey);
    const live = collect((sink) => client.subscribe({ query: SUBSCRIPTION, variables: { filter: { entityTypes: ["PERSON"] }, after: cursor } }, sink), 2);
    const later = await createPerson(tenant, { firstName: "Later" });
    expect(await within(live.done, 10_000)).toBe(true);
    expect(live.received.map((r) => r.data.changes.entityId)).toEqual([earlier.id, later.id]);
    expect(live.received.map((r) => r.data.changes.entityId)).not.toContain(before.id);
    expect(live.received[1].data.changes).toMatchObject({ operation: "CREATED", entityType: "PERSON", source: "graphql" });
    live.dispose();
  });

  it("over server-sent events (graphql-sse)", async () => {
    const { url } = await instance(changeEvents());
    const tenant = await h.workspace();
    const client = sseClient(url, tenant.adminKey);
    const live = collect((sink) => client.subscribe({ query: SUBSCRIPTION, variables: { filter: { entityTypes: ["PERSON"], operations: ["UPDATED"] } } }, sink), 1);
    const person = await createPerson(tenant);
    // The subscription starts from now: wait until it is listening before the write it should see.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { firstName: "Seen" }) { id } }`, { id: person.id });
    expect(await within(live.done, 10_000)).toBe(true);
    expect(live.received[0].data.changes).toMatchObject({ entityId: person.id, operation: "UPDATED", fields: [{ path: ["firstName"], after: "Seen" }] });
    live.dispose();
  });

  it("refuses a connection without a working key, and ends when the key is revoked", async () => {
    const { url } = await instance(changeEvents());
    const tenant = await h.workspace();
    const anonymous = collect((sink) => wsClient(url, "pgk_nope").subscribe({ query: SUBSCRIPTION }, sink), 1);
    expect(await within(anonymous.done, 5_000)).toBe(true);
    expect(anonymous.received).toEqual([]);
    expect(anonymous.ended()).toBeDefined();

    const reader = await tenant.key(["READ"]);
    const { apiKeys } = await tenant.ok(`{ apiKeys { id name } }`);
    const readerId = apiKeys.find((k: any) => k.name === "key READ").id;
    const live = collect((sink) => wsClient(url, reader).subscribe({ query: SUBSCRIPTION }, sink), 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await tenant.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: readerId });
    await createPerson(tenant);
    expect(await within(live.done, 10_000)).toBe(true);
    const last = live.received.at(-1) ?? { errors: live.ended() };
    expect(JSON.stringify(last)).toContain("UNAUTHENTICATED");
  });

  it("reaches a subscriber on another instance through Redis", async (context) => {
    if (!(await redisAnswers())) return context.skip();
    // Both instances look at the feed on their own only once a minute: what arrives sooner came by word.
    const slow = { lookEveryMs: 60_000 };
    const a = await instance(changeEvents(REDIS_URL, slow));
    const b = await instance(changeEvents(REDIS_URL, slow));
    const tenant = await h.workspace();
    const client = sseClient(b.url, tenant.adminKey);
    const live = collect((sink) => client.subscribe({ query: SUBSCRIPTION, variables: { filter: { entityTypes: ["PERSON"] } } }, sink), 1);
    // Word sent before the subscriber's Redis subscription is in place is lost (readers then find
    // the change on their own): write until one word gets through, a second apart.
    const writeOn = async (app: App, url: string, tries: number, until: Promise<void>) => {
      const ids: string[] = [];
      for (let i = 0; i < tries && !(await within(until, 1_000)); i++) {
        const response = await app.fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
          body: JSON.stringify({ query: `mutation { createPerson(input: { firstName: "Across" }) { id } }` }),
        });
        ids.push(((await response.json()) as any).data.createPerson.id);
      }
      return ids;
    };
    const written = await writeOn(a.app, a.url, 5, live.done);
    expect(await within(live.done, 1_000)).toBe(true);
    expect(written).toContain(live.received[0].data.changes.entityId);

    // Without Redis the other instance hears nothing (until it looks on its own, in a minute).
    const c = await instance(changeEvents(undefined, slow));
    const d = await instance(changeEvents(undefined, slow));
    const unheard = collect((sink) => sseClient(d.url, tenant.adminKey).subscribe({ query: SUBSCRIPTION, variables: { filter: { entityTypes: ["PERSON"] } } }, sink), 1);
    await writeOn(c.app, c.url, 3, unheard.done);
    expect(unheard.received).toEqual([]);
  });
});
