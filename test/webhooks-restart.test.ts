import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli, startCliServer, type Served } from "./support/cli.js";
import { isolatedEnv } from "./support/isolated.js";

// SPEC §10: "a crash or restart loses nothing". The server is killed with SIGKILL while a
// delivery is in flight and others wait behind it; after a restart every change is delivered.
let env: Record<string, string>;
let cleanup: () => Promise<void>;
let apiKey: string;
const received = new Map<string, number>();
let hanging = true;
const hook = createServer(async (req, res) => {
  for await (const _ of req);
  // The first delivery never gets an answer from this server's first life.
  if (hanging) {
    hanging = false;
    return;
  }
  const id = String(req.headers["webhook-id"]);
  received.set(id, (received.get(id) ?? 0) + 1);
  res.end();
});

beforeAll(async () => {
  ({ env, cleanup } = await isolatedEnv());
  env = { ...env, WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_BASE_SECONDS: "0.5", SEED_DEMO: "false" };
  const created = await runCli(["workspace", "create", "Hooks", "--json"], env);
  expect(created.code, created.stderr).toBe(0);
  apiKey = JSON.parse(created.stdout).apiKey;
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  hook.closeAllConnections();
  hook.close();
  await cleanup();
});

async function gql(served: Served, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${served.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function until(done: () => boolean | Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

it("delivers every change after a SIGKILL between commit and delivery", async () => {
  let served = await startCliServer(env);
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  await gql(served, `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, entityTypes: [PERSON] }) { secret } }`, { url });
  for (let i = 0; i < 5; i++) await gql(served, `mutation($n: String!) { createPerson(input: { firstName: $n }) { id } }`, { n: `P${i}` });
  // Committed, and one delivery is on the wire: now the process dies without a word.
  await until(() => !hanging, 20_000);
  expect(hanging).toBe(false);
  served.child.kill("SIGKILL");
  await served.exited.catch(() => {});

  served = await startCliServer(env);
  try {
    const { changes } = await gql(served, `{ changes(first: 100, filter: { entityTypes: [PERSON] }) { edges { node { id } } } }`);
    const ids: string[] = changes.edges.map((e: any) => e.node.id);
    expect(ids).toHaveLength(5);
    await until(() => ids.every((id) => received.has(id)), 60_000);
    expect(ids.filter((id) => !received.has(id))).toEqual([]);
    const { webhookEndpoints } = await gql(served, `{ webhookEndpoints { deliveries(first: 10) { edges { node { status } } } } }`);
    await until(async () => {
      const { webhookEndpoints: now } = await gql(served, `{ webhookEndpoints { deliveries(first: 10) { edges { node { status } } } } }`);
      return now[0].deliveries.edges.every((e: any) => e.node.status === "SUCCEEDED");
    }, 10_000);
    expect(webhookEndpoints[0].deliveries.edges).toHaveLength(5);
  } finally {
    served.child.kill("SIGTERM");
    await served.exited.catch(() => {});
  }
}, 120_000);
