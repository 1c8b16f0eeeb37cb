import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import type { DatabaseConfig } from "../src/config.js";
import { startWebhookWorker, type WebhookWorker } from "../src/webhooks/worker.js";
import { createPerson } from "./support/fixtures.js";
import { codes, createHarness, request, type Harness, type Tenant } from "./support/harness.js";

// SPEC §10, webhooks: signed per Standard Webhooks (checked here with the `standardwebhooks`
// package, an independent implementation), at least once, retried with backoff, in order per entity.
const WEBHOOKS = { allowPrivate: true, retryBaseSeconds: 0.2, retryHours: 24 };

let h: Harness;
let worker: WebhookWorker;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
// The harness's app refuses private targets (the default); this one is for a receiver on loopback.
let app: ReturnType<typeof createApp>;

const database: DatabaseConfig = process.env.DATABASE_URL ? { kind: "postgres", url: process.env.DATABASE_URL, poolSize: 4 } : { kind: "pglite", dataDir: "memory://" };

beforeAll(async () => {
  h = await createHarness();
  app = createApp({ db: h.db, config: { graphiql: false, webhooks: WEBHOOKS }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger }) });
  worker = await startWebhookWorker({ db: h.db, database, webhooks: WEBHOOKS, logger });
});
afterAll(async () => {
  await worker.stop();
  await h.close();
});

interface Received {
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  payload: any;
}

/** A receiver on loopback that answers with `answer(n)` to its n-th request (from 1) and verifies every signature. */
async function receiver(answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end()) {
  const received: Received[] = [];
  let secret = "";
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let verified = false;
    try {
      new Webhook(secret).verify(body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    received.push({ headers, body, verified, payload: JSON.parse(body) });
    answer(received.length, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    useSecret: (s: string) => void (secret = s),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const gql = (tenant: Tenant, query: string, variables: Record<string, unknown> = {}) =>
  request(app, query, variables, { authorization: `Bearer ${tenant.adminKey}` });

async function endpoint(tenant: Tenant, input: Record<string, unknown>) {
  const response = await gql(tenant, `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url enabled entityTypes operations } } }`, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.createWebhookEndpoint as { secret: string; endpoint: { id: string } };
}

async function deliveries(tenant: Tenant, endpointId: string) {
  const { data } = await gql(tenant, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: 100) { totalCount edges { node {
      id status attempts lastStatusCode lastError deliveredAt change { id entityId operation } } } } } } }`, { id: endpointId });
  return data!.node.deliveries.edges.map((e: any) => e.node);
}

async function until<T>(what: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("webhook endpoints", () => {
  it("delivers a change signed per Standard Webhooks; 500 twice then 200 is three attempts and one success", async () => {
    const tenant = await h.workspace();
    const hook = await receiver((n, res) => {
      res.statusCode = n <= 2 ? 500 : 200;
      res.end();
    });
    const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url, entityTypes: ["PERSON"] });
    expect(secret).toMatch(/^whsec_/);
    hook.useSecret(secret);
    const person = await createPerson(tenant, { email: "hook@example.com" });
    const [delivery] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.status === "SUCCEEDED");
    expect(delivery).toMatchObject({ status: "SUCCEEDED", attempts: 3, lastStatusCode: 200, change: { entityId: person.id, operation: "CREATED" } });
    expect(hook.received).toHaveLength(3);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    // One message, three attempts: the same webhook-id each time (receivers de-duplicate on it).
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([delivery.change.id]));
    expect(hook.received[2]!.payload).toMatchObject({ type: "person.created", data: { entityId: person.id, operation: "CREATED", source: "graphql" } });
    await hook.close();
  });

  it("keeps the feed's order per entity, and sends only the kinds asked for", async () => {
    const tenant = await h.workspace();
    const hook = await receiver((n, res) => {
      // Every other request fails at first: retries must not let a later change overtake.
      res.statusCode = n % 2 === 1 ? 503 : 204;
      res.end();
    });
    const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url, operations: ["UPDATED"] });
    hook.useSecret(secret);
    const person = await createPerson(tenant);
    for (let i = 0; i < 5; i++) await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { firstName: "V${i}" }) { id } }`, { id: person.id });
    const done = await until(() => deliveries(tenant, created.id), (d) => d.length === 5 && d.every((x: any) => x.status === "SUCCEEDED"));
    expect(done.map((d: any) => d.status)).toEqual(Array(5).fill("SUCCEEDED"));
    const succeeded = hook.received.filter((_, i) => (i + 1) % 2 === 0).map((r) => r.payload.data);
    expect(succeeded.map((c: any) => c.fields.find((f: any) => f.path[0] === "firstName").after)).toEqual(["V0", "V1", "V2", "V3", "V4"]);
    expect(hook.received.every((r) => r.payload.data.operation === "UPDATED" && r.verified)).toBe(true);
    await hook.close();
  });

  it("with three workers on the database, sends each change once", async () => {
    const tenant = await h.workspace();
    const hook = await receiver();
    const others = await Promise.all([1, 2].map(() => startWebhookWorker({ db: h.db, database, webhooks: WEBHOOKS, logger })));
    const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url, entityTypes: ["PERSON"] });
    hook.useSecret(secret);
    await Promise.all(Array.from({ length: 20 }, () => createPerson(tenant)));
    const done = await until(() => deliveries(tenant, created.id), (d) => d.length === 20 && d.every((x: any) => x.status === "SUCCEEDED"));
    await Promise.all(others.map((w) => w.stop()));
    expect(done.filter((d: any) => d.status === "SUCCEEDED")).toHaveLength(20);
    const ids = hook.received.map((r) => r.headers["webhook-id"]);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    await hook.close();
  });

  it("gives up after the retry window (FAILED), and redeliverWebhook tries again", async () => {
    const tenant = await h.workspace();
    let healthy = false;
    const hook = await receiver((_n, res) => {
      res.statusCode = healthy ? 200 : 500;
      res.end();
    });
    const shortWindow = { ...WEBHOOKS, retryHours: 1 / 3600 };
    // The suite's worker, with its 24-hour window, would race this one for the delivery and,
    // winning, push its next attempt out by doubling intervals: only the impatient one works
    // (it looks for due deliveries itself), until the redelivery is done.
    await worker.stop();
    const impatient = await startWebhookWorker({ db: h.db, database: { kind: "pglite", dataDir: "memory://" }, webhooks: shortWindow, logger });
    try {
      const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url });
      hook.useSecret(secret);
      await createPerson(tenant);
      const [failed] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.status === "FAILED");
      expect(failed).toMatchObject({ status: "FAILED", lastStatusCode: 500 });
      expect(failed.attempts).toBeGreaterThan(1);
      healthy = true;
      const redelivered = await gql(tenant, `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`, { id: failed.id });
      expect(redelivered.data!.redeliverWebhook.status).toBe("PENDING");
      const [done] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.status === "SUCCEEDED");
      expect(done.status).toBe("SUCCEEDED");
    } finally {
      await impatient.stop();
      worker = await startWebhookWorker({ db: h.db, database, webhooks: WEBHOOKS, logger });
      await hook.close();
    }
  });

  it("redelivers a delivered change through the suite's own worker (the job engine on PostgreSQL), with the same webhook-id", async () => {
    const tenant = await h.workspace();
    const hook = await receiver();
    const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url, entityTypes: ["PERSON"] });
    hook.useSecret(secret);
    await createPerson(tenant);
    const [first] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.status === "SUCCEEDED");
    expect(first.status).toBe("SUCCEEDED");
    const redelivered = await gql(tenant, `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`, { id: first.id });
    expect(redelivered.data!.redeliverWebhook.status).toBe("PENDING");
    const [again] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.status === "SUCCEEDED");
    expect(again).toMatchObject({ id: first.id, status: "SUCCEEDED" });
    expect(hook.received).toHaveLength(2);
    expect(hook.received[1]!.headers["webhook-id"]).toBe(hook.received[0]!.headers["webhook-id"]);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    await hook.close();
  });

  it("does not follow a redirect", async () => {
    const tenant = await h.workspace();
    const elsewhere = await receiver();
    const hook = await receiver((_n, res) => {
      res.writeHead(307, { location: elsewhere.url });
      res.end();
    });
    const { endpoint: created } = await endpoint(tenant, { url: hook.url });
    await createPerson(tenant);
    const [delivery] = await until(() => deliveries(tenant, created.id), (d) => d[0]?.attempts >= 1);
    expect(delivery).toMatchObject({ status: "PENDING", lastStatusCode: 307 });
    expect(elsewhere.received).toHaveLength(0);
    await Promise.all([hook.close(), elsewhere.close()]);
  });

  it("refuses loopback, private and link-local targets unless allowed, and non-admin keys", async () => {
    const tenant = await h.workspace();
    for (const url of ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://192.168.0.1/", "ftp://example.com/"]) {
      const response = await tenant.gql(`mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { secret } }`, { url });
      expect(codes(response), url).toEqual(["BAD_USER_INPUT"]);
      expect(response.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "url"]);
    }
    const writer = await tenant.key(["WRITE"]);
    expect(codes(await tenant.gql(`{ webhookEndpoints { id } }`, {}, writer))).toEqual(["FORBIDDEN"]);
    expect((await tenant.ok(`{ webhookEndpoints { id } }`)).webhookEndpoints).toEqual([]);
  });

  it("updates, rotates and deletes endpoints, each recorded as a change", async () => {
    const tenant = await h.workspace();
    const hook = await receiver();
    const { secret, endpoint: created } = await endpoint(tenant, { url: hook.url, description: "CRM" });
    const { data } = await gql(tenant, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false, entityTypes: [PARTICIPANT] }) { enabled entityTypes } rotateWebhookSecret(id: $id) { secret } }`, { id: created.id });
    expect(data!.updateWebhookEndpoint).toEqual({ enabled: false, entityTypes: ["PARTICIPANT"] });
    expect(data!.rotateWebhookSecret.secret).not.toBe(secret);
    // Disabled: nothing is queued for it (before that, it was sent its own creation).
    await createPerson(tenant);
    expect((await deliveries(tenant, created.id)).map((d: any) => d.change.operation)).toEqual(["CREATED"]);
    expect((await deliveries(tenant, created.id))[0].change.entityId).toBe(created.id);
    expect((await gql(tenant, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, { id: created.id })).data!.deleteWebhookEndpoint.deletedId).toBe(created.id);
    const { changes } = await tenant.ok(`{ changes(first: 100, filter: { entityTypes: [WEBHOOK_ENDPOINT] }) { edges { node { operation fields { path } } } } }`);
    expect(changes.edges.map((e: any) => e.node.operation)).toEqual(["CREATED", "UPDATED", "DELETED"]);
    // The secret is never part of a change.
    expect(JSON.stringify(changes)).not.toContain("secret");
    await hook.close();
  });
});
