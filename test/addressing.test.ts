import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram, enroll, unique } from "./support/fixtures.js";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";

// SPEC §7: writes name their record the way the caller knows it.
let h: Harness;
let tenant: Tenant;
let programKey: string;
let participant: { id: string; serialNumber: number; person: { id: string } };
const PERSON_EXT = unique("crm");
const PARTICIPANT_EXT = unique("reg");
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Addressing");
  programKey = (await createProgram(tenant)).key;
  participant = await enroll(tenant, programKey, { externalId: PARTICIPANT_EXT, person: { firstName: "Ada", externalId: PERSON_EXT } });
});
afterAll(() => h.close());

describe("person mutations by externalId", () => {
  it("update, status and attributes reach the person by its external id", async () => {
    const { updatePerson } = await tenant.ok(`mutation($x: String) { updatePerson(externalId: $x, input: { company: "Acme" }) { id company } }`, { x: PERSON_EXT });
    expect(updatePerson).toEqual({ id: participant.person.id, company: "Acme" });
    const { setPersonStatus } = await tenant.ok(`mutation($x: String) { setPersonStatus(externalId: $x, status: SUSPENDED) { status } }`, { x: PERSON_EXT });
    expect(setPersonStatus.status).toBe("SUSPENDED");
    const { setAttributes } = await tenant.ok(`mutation($x: String) { setAttributes(externalId: $x, attributes: { plan: "pro" }) { attributes } }`, { x: PERSON_EXT });
    expect(setAttributes.attributes).toEqual({ plan: "pro" });
  });

  it("an unknown external id is NOT_FOUND and creates nothing; both or neither is BAD_USER_INPUT", async () => {
    const before = await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } });
    expect(codes(await tenant.gql(`mutation { updatePerson(externalId: "typo", input: { company: "X" }) { id } }`))).toEqual(["NOT_FOUND"]);
    expect(codes(await tenant.gql(`mutation { deletePerson(externalId: "typo") { deletedId } }`))).toEqual(["NOT_FOUND"]);
    expect(await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } })).toBe(before);
    expect(codes(await tenant.gql(`mutation($id: ID, $x: String) { updatePerson(id: $id, externalId: $x, input: { company: "X" }) { id } }`, { id: participant.person.id, x: PERSON_EXT }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(`mutation { updatePerson(input: { company: "X" }) { id } }`))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("participant mutations by serial number or external id", () => {
  it("update, status, tier and ledger entries reach the participant as Shocklogic addresses it", async () => {
    const bySerial = { k: programKey, n: participant.serialNumber };
    const { updateParticipant } = await tenant.ok(`mutation($k: String, $n: Int) { updateParticipant(programKey: $k, serialNumber: $n, input: { tags: ["vip"] }) { id tags } }`, bySerial);
    expect(updateParticipant).toEqual({ id: participant.id, tags: ["vip"] });
    const byExternal = { k: programKey, x: PARTICIPANT_EXT };
    const { setParticipantStatus } = await tenant.ok(`mutation($k: String, $x: String) { setParticipantStatus(programKey: $k, externalId: $x, status: CLOSED) { id status } }`, byExternal);
    expect(setParticipantStatus).toEqual({ id: participant.id, status: "CLOSED" });
    const { setTier } = await tenant.ok(`mutation($k: String, $x: String) { setTier(programKey: $k, externalId: $x, tierType: "loyalty", level: "gold", rank: 2) { tiers { level } } }`, byExternal);
    expect(setTier.tiers).toEqual([{ level: "gold" }]);
    const { postLedgerEntry } = await tenant.ok(
      `mutation($k: String, $n: Int) { postLedgerEntry(input: { programKey: $k, serialNumber: $n, kind: BOOKING, asset: "EUR", amount: "10.00", idempotencyKey: "by-serial" }) { amount } }`,
      bySerial,
    );
    expect(postLedgerEntry.amount).toBe("10.00");
    await tenant.ok(
      `mutation($k: String, $x: String) { postLedgerEntry(input: { programKey: $k, participantExternalId: $x, kind: PAYMENT, asset: "EUR", amount: "4", idempotencyKey: "by-ext" }) { id } }`,
      byExternal,
    );
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { financials { totalBalance } } }`, { id: participant.id });
    expect(read.financials).toEqual([{ totalBalance: "6.00" }]);
  });

  it("no match is NOT_FOUND; mixed or partial addressing is BAD_USER_INPUT", async () => {
    expect(codes(await tenant.gql(`mutation($k: String) { deleteParticipant(programKey: $k, serialNumber: 999) { deletedId } }`, { k: programKey }))).toEqual(["NOT_FOUND"]);
    expect(codes(await tenant.gql(`mutation { deleteParticipant(programKey: "no-such-program", externalId: "x") { deletedId } }`))).toEqual(["NOT_FOUND"]);
    expect(codes(await tenant.gql(`mutation($k: String, $id: ID) { deleteParticipant(id: $id, programKey: $k, serialNumber: 1) { deletedId } }`, { k: programKey, id: participant.id }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(`mutation($k: String) { deleteParticipant(programKey: $k) { deletedId } }`, { k: programKey }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(`mutation { postLedgerEntry(input: { kind: COUNTER, asset: "x", amount: "1", idempotencyKey: "none" }) { id } }`))).toEqual(["BAD_USER_INPUT"]);
    // Still there: nothing above deleted it.
    expect((await tenant.ok(`query($id: ID!) { participant(id: $id) { id } }`, { id: participant.id })).participant).toEqual({ id: participant.id });
  });
});
