import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// Shocklogic's ParticipantProfileValues, served at /compat/shocklogic as its page documents it.
let h: Harness;
let tenant: Tenant;
let programKey: string;
let participant: { id: string; serialNumber: number };
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Shocklogic");
  const program = await createProgram(tenant, [
    { key: "T_Shirt_Size", type: "SELECT", options: [{ value: "M", label: "M" }, { value: "L", label: "L" }] },
    { key: "Dietary_Requirements", type: "TEXT" },
    { key: "Transport_Required", type: "BOOLEAN" },
  ]);
  programKey = program.key;
  await tenant.ok(`mutation { definePersonField(input: { key: "Category_Name", label: "Category", type: SELECT, options: [{ value: "vip", label: "VIP" }] }) { id } }`);
  participant = await enroll(tenant, programKey, { externalId: "EXT-9", person: { firstName: "Ana", lastName: "García", email: "ana.garcia@example.com" } });
  await tenant.ok(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: PAYMENT, asset: "EUR", amount: "150.00", idempotencyKey: "p" }) { id } }`, { id: participant.id });
});
afterAll(() => h.close());

const call = (method: "GET" | "POST" | "DELETE", identifier: string | number, body?: unknown, key = tenant.adminKey) =>
  h.app.fetch(`http://test/compat/shocklogic/v1.0/${programKey}/ParticipantProfileValues/${identifier}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

describe("/compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}", () => {
  it("POST routes each key to its field (values as Shocklogic sends them), GET answers the page's flat shape by any identifier", async () => {
    const posted = await call("POST", participant.serialNumber, {
      First_Name: "Ana",
      Family_Name: "García",
      Company: "Tech Solutions",
      Email: "ana.garcia@example.com",
      Category_Name: "VIP",
      T_Shirt_Size: "M",
      Dietary_Requirements: "Vegetarian",
      Transport_Required: "Yes",
      Badge_Colour: "blue",
    });
    expect(posted.status, await posted.clone().text()).toBe(200);
    for (const identifier of [participant.id, participant.serialNumber, "EXT-9"]) {
      const got = await call("GET", identifier);
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({
        Person_Id: String(participant.serialNumber),
        First_Name: "Ana",
        Family_Name: "García",
        Company: "Tech Solutions",
        Email: "ana.garcia@example.com",
        Category_Name: "VIP",
        Total_Paid: "150.00",
        T_Shirt_Size: "M",
        Dietary_Requirements: "Vegetarian",
        Transport_Required: "Yes",
      });
    }
    // A key with no field of its name is kept, not dropped; the graph sees every write.
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { person { company shocklogic: attributes(bucket: "shocklogic") } customField(key: "Transport_Required") { value } } }`, { id: participant.id });
    expect(read).toEqual({ person: { company: "Tech Solutions", shocklogic: { Badge_Colour: "blue" } }, customField: { value: true } });
  });

  it("404 for an identifier that matches nothing, 400 for a bad value, 401, 403; DELETE removes the record and its values", async () => {
    expect((await call("GET", "no-such-id")).status).toBe(404);
    expect(await (await call("GET", 999)).json()).toHaveProperty("Message");
    expect((await call("POST", "EXT-9", { Transport_Required: "perhaps" })).status).toBe(400);
    expect((await call("GET", "EXT-9", undefined, "nope")).status).toBe(401);
    expect((await call("DELETE", "EXT-9", undefined, await tenant.key(["READ"]))).status).toBe(403);
    expect((await call("GET", "EXT-9", undefined, await tenant.key(["READ"]))).status).toBe(200);
    const other = await enroll(tenant, programKey, { externalId: "EXT-10", customFields: [{ key: "Dietary_Requirements", value: "None" }] });
    expect((await call("DELETE", "EXT-10")).status).toBe(204);
    expect((await call("GET", "EXT-10")).status).toBe(404);
    expect(await h.db.prisma.customFieldValue.count({ where: { participantId: other.id } })).toBe(0);
  });
});
