import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createProgram, enroll, unique } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
let programKey: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Ledger");
  programKey = (await createProgram(tenant)).key;
});
afterAll(() => h.close());

const POST = `mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id kind asset bucket amount idempotencyKey note createdAt } }`;
const READ = `query($id: ID!) { participant(id: $id) {
  balances { asset bucket amount } counters { name value } tiers { tierType level rank updatedAt }
  financials { currency totalBooked totalPaid totalBalance }
  ledger(first: 100) { totalCount edges { node { kind asset bucket amount note } } } } }`;

async function participant() {
  return (await enroll(tenant, programKey)).id as string;
}

function entry(participantId: string, input: Record<string, unknown>) {
  return { participantId, idempotencyKey: unique("idem"), ...input };
}

describe("balances, counters and financials", () => {
  it("are exact decimal strings at the scale they were given: 0.1 + 0.2 is 0.3, 450.00 stays 450.00, 18 significant digits survive", async () => {
    const id = await participant();
    for (const amount of ["0.1", "0.2"]) await tenant.ok(POST, { input: entry(id, { kind: "BALANCE", asset: "points", bucket: "AVAILABLE", amount }) });
    await tenant.ok(POST, { input: entry(id, { kind: "COUNTER", asset: "kilometres", amount: "123456789.123456789" }) });
    await tenant.ok(POST, { input: entry(id, { kind: "COUNTER", asset: "kilometres", amount: "0.000000000000000001" }) });
    await tenant.ok(POST, { input: entry(id, { kind: "BOOKING", asset: "EUR", amount: "450.00" }) });
    await tenant.ok(POST, { input: entry(id, { kind: "PAYMENT", asset: "EUR", amount: "150.25" }) });
    await tenant.ok(POST, { input: entry(id, { kind: "BOOKING", asset: "GBP", amount: "99999999999999999999.5" }) });
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.balances).toEqual([{ asset: "points", bucket: "AVAILABLE", amount: "0.3" }]);
    expect(p.counters).toEqual([{ name: "kilometres", value: "123456789.123456789000000001" }]);
    expect(p.financials).toEqual([
      { currency: "EUR", totalBooked: "450.00", totalPaid: "150.25", totalBalance: "299.75" },
      { currency: "GBP", totalBooked: "99999999999999999999.5", totalPaid: "0", totalBalance: "99999999999999999999.5" },
    ]);
    expect(p.ledger.totalCount).toBe(7);
    expect(p.ledger.edges[0].node).toMatchObject({ kind: "BOOKING", asset: "GBP" });
    expect(p.ledger.edges.find((e: { node: { asset: string; kind: string } }) => e.node.asset === "EUR" && e.node.kind === "BOOKING").node.amount).toBe("450.00");
  });

  it("sum at the largest scale of their terms", async () => {
    const id = await participant();
    for (const amount of ["10", "0.5", "1.250"]) await tenant.ok(POST, { input: entry(id, { kind: "COUNTER", asset: "km", amount }) });
    await tenant.ok(POST, { input: entry(id, { kind: "BOOKING", asset: "EUR", amount: "100" }) });
    await tenant.ok(POST, { input: entry(id, { kind: "PAYMENT", asset: "EUR", amount: "40.5" }) });
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.counters).toEqual([{ name: "km", value: "11.750" }]);
    expect(p.financials).toEqual([{ currency: "EUR", totalBooked: "100", totalPaid: "40.5", totalBalance: "59.5" }]);
  });

  it("rejects malformed entries, and TIER through postLedgerEntry", async () => {
    const id = await participant();
    const bad = [
      { kind: "TIER", asset: "loyalty", amount: "1" },
      { kind: "BALANCE", asset: "points", amount: "1" },
      { kind: "COUNTER", asset: "visits", bucket: "AVAILABLE", amount: "1" },
      { kind: "BOOKING", asset: "euro", amount: "1" },
      { kind: "COUNTER", asset: "visits", amount: "1.0000000000000000001" },
    ];
    for (const input of bad) expect(codes(await tenant.gql(POST, { input: entry(id, input) })), JSON.stringify(input)).toEqual(["BAD_USER_INPUT"]);
    for (const amount of ["1e5", "0x10", "", " 1", "1.2.3"]) {
      const response = await tenant.gql(POST, { input: entry(id, { kind: "COUNTER", asset: "visits", amount }) });
      expect(response.errors?.length, amount).toBeGreaterThan(0);
    }
    expect(await h.db.prisma.ledgerEntry.count({ where: { participantId: id } })).toBe(0);
    expect(codes(await tenant.gql(POST, { input: entry("00000000-0000-4000-8000-000000000000", { kind: "COUNTER", asset: "v", amount: "1" }) }))).toEqual(["NOT_FOUND"]);
  });
});

describe("idempotency", () => {
  it("returns the first entry for the same key and payload, and is CONFLICT for another payload", async () => {
    const id = await participant();
    const input = entry(id, { kind: "COUNTER", asset: "visits", amount: "1", note: "first" });
    const first = await tenant.ok(POST, { input });
    const again = await tenant.ok(POST, { input: { ...input, amount: "1.000" } });
    expect(again.postLedgerEntry).toEqual(first.postLedgerEntry);
    expect(codes(await tenant.gql(POST, { input: { ...input, amount: "2" } }))).toEqual(["CONFLICT"]);
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.counters).toEqual([{ name: "visits", value: "1" }]);
  });

  it("posts exactly one entry for 50 concurrent posts with one key", async () => {
    const id = await participant();
    const input = entry(id, { kind: "BALANCE", asset: "points", bucket: "AVAILABLE", amount: "5" });
    const results = await Promise.all(Array.from({ length: 50 }, () => tenant.gql(POST, { input })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(new Set(results.map((r) => r.data!.postLedgerEntry.id)).size).toBe(1);
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.ledger.totalCount).toBe(1);
    expect(p.balances).toEqual([{ asset: "points", bucket: "AVAILABLE", amount: "5" }]);
  });
});

describe("AVAILABLE balances", () => {
  it("never go below zero; other buckets may", async () => {
    const id = await participant();
    await tenant.ok(POST, { input: entry(id, { kind: "BALANCE", asset: "points", bucket: "AVAILABLE", amount: "10" }) });
    const over = await tenant.gql(POST, { input: entry(id, { kind: "BALANCE", asset: "points", bucket: "AVAILABLE", amount: "-10.01" }) });
    expect(codes(over)).toEqual(["BAD_USER_INPUT"]);
    expect(over.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "amount"]);
    await tenant.ok(POST, { input: entry(id, { kind: "BALANCE", asset: "points", bucket: "PENDING", amount: "-3" }) });
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.balances).toEqual([
      { asset: "points", bucket: "AVAILABLE", amount: "10" },
      { asset: "points", bucket: "PENDING", amount: "-3" },
    ]);
    expect(p.ledger.totalCount).toBe(2);
  });

  it("accept exactly 60 of 100 concurrent debits against a balance that covers 60", async () => {
    const id = await participant();
    await tenant.ok(POST, { input: entry(id, { kind: "BALANCE", asset: "credits", bucket: "AVAILABLE", amount: "60" }) });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => tenant.gql(POST, { input: entry(id, { kind: "BALANCE", asset: "credits", bucket: "AVAILABLE", amount: "-1" }) })),
    );
    const accepted = results.filter((r) => !r.errors);
    const rejected = results.filter((r) => r.errors);
    expect(accepted).toHaveLength(60);
    expect(rejected.every((r) => codes(r)[0] === "BAD_USER_INPUT")).toBe(true);
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.balances).toEqual([{ asset: "credits", bucket: "AVAILABLE", amount: "0" }]);
    expect(p.ledger.totalCount).toBe(61);
  });
});

describe("setTier", () => {
  it("records level and rank per tier type, and every change in the ledger", async () => {
    const id = await participant();
    const SET = `mutation($id: ID!, $t: String!, $l: String!, $r: Int!) { setTier(participantId: $id, tierType: $t, level: $l, rank: $r) { version tiers { tierType level rank } } }`;
    await tenant.ok(SET, { id, t: "loyalty", l: "Silver", r: 2 });
    await tenant.ok(SET, { id, t: "status", l: "Member", r: 1 });
    const { setTier } = await tenant.ok(SET, { id, t: "loyalty", l: "Gold", r: 3 });
    expect(setTier.tiers).toEqual([
      { tierType: "loyalty", level: "Gold", rank: 3 },
      { tierType: "status", level: "Member", rank: 1 },
    ]);
    expect(setTier.version).toBe(4);
    const { participant: p } = await tenant.ok(READ, { id });
    expect(p.ledger.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { kind: "TIER", asset: "loyalty", bucket: null, amount: "3", note: "Gold" },
      { kind: "TIER", asset: "status", bucket: null, amount: "1", note: "Member" },
      { kind: "TIER", asset: "loyalty", bucket: null, amount: "2", note: "Silver" },
    ]);
    expect(codes(await tenant.gql(SET, { id, t: "loyalty", l: "x", r: -1 }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("the ledger connection", () => {
  it("pages newest first", async () => {
    const id = await participant();
    for (let i = 1; i <= 5; i++) await tenant.ok(POST, { input: entry(id, { kind: "COUNTER", asset: "visits", amount: String(i) }) });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const data: { participant: any } = await tenant.ok(`query($id: ID!, $after: String) { participant(id: $id) { ledger(first: 2, after: $after) { edges { node { amount } } pageInfo { hasNextPage endCursor } } } }`, { id, after });
      seen.push(...data.participant.ledger.edges.map((e: { node: { amount: string } }) => e.node.amount));
      if (!data.participant.ledger.pageInfo.hasNextPage) break;
      after = data.participant.ledger.pageInfo.endCursor;
    }
    expect(seen).toEqual(["5", "4", "3", "2", "1"]);
  });
});
