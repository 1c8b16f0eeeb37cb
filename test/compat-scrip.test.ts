import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// Scrip's "Update a participant", served at /compat/scrip as its page documents it.
let h: Harness;
let tenant: Tenant;
let participant: { id: string };
let programId: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Scrip");
  const program = await createProgram(tenant);
  programId = program.id;
  participant = await enroll(tenant, program.key, { externalId: "user_123", person: { firstName: "Jane", lastName: "Doe", displayName: "Jane D" } });
  await tenant.ok(`mutation($id: ID!) {
    a: postLedgerEntry(input: { participantId: $id, kind: BALANCE, asset: "points", bucket: AVAILABLE, amount: "1500", idempotencyKey: "a" }) { id }
    b: postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "purchases", amount: "42", idempotencyKey: "b" }) { id }
    setTier(participantId: $id, tierType: "loyalty", level: "gold", rank: 2) { id } }`, { id: participant.id });
});
afterAll(() => h.close());

const patch = (id: string, body: unknown, key = tenant.adminKey) =>
  h.app.fetch(`http://test/compat/scrip/v1/participants/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("PATCH /compat/scrip/v1/participants/{id}", () => {
  it("updates what the body names (\"\" clears, attributes merge, tags replace), leaves status alone, answers Scrip's shape", async () => {
    const response = await patch(participant.id, {
      email: "jane@example.com",
      phone: "+15551234567",
      display_name: "",
      attributes: { plan: "premium", region: "us-east" },
      tags: ["vip"],
      status: "SUSPENDED",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: participant.id,
      external_id: "user_123",
      email: "jane@example.com",
      phone: "+15551234567",
      first_name: "Jane",
      display_name: null,
      status: "ACTIVE",
      attributes: { plan: "premium", region: "us-east" },
      tags: ["vip"],
      balances: { points: { available: "1500" } },
      counters: { purchases: "42" },
      tiers: { loyalty: { level: "gold", rank: 2 } },
      program_ids: [programId],
    });
    // Both ways: the graph sees the dialect's write, and the dialect the graph's.
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { email displayName tags } }`, { id: participant.id });
    expect(read).toEqual({ email: "jane@example.com", displayName: null, tags: ["vip"] });
    await tenant.ok(`mutation($id: ID!) { updateParticipant(id: $id, input: { attributes: { fromGraph: 1 } }) { id } }`, { id: participant.id });
    expect(((await (await patch(participant.id, {})).json()) as { attributes: unknown }).attributes).toEqual({ plan: "premium", region: "us-east", fromGraph: 1 });
  });

  it("errors in its own shape: 404, 400 for bad values and malformed JSON, 401, 403 for a read-only key", async () => {
    const missing = await patch("00000000-0000-4000-8000-000000000000", { tags: [] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
    expect((await patch(participant.id, { email: "not an address" })).status).toBe(400);
    expect((await patch(participant.id, { tags: "vip" })).status).toBe(400);
    expect((await patch(participant.id, "{")).status).toBe(400);
    expect((await patch(participant.id, {}, "nope")).status).toBe(401);
    expect((await patch(participant.id, {}, await tenant.key(["READ"]))).status).toBe(403);
  });
});
