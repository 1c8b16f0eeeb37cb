import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";

// Backward pages (`last` / `before`, Relay's loadPrevious) visit exactly the rows forward pages
// do, in the same order, for every list and ordering, nulls included.
let h: Harness;
let tenant: Tenant;
let programKey: string;
let personId: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Pagination");
  programKey = (await createProgram(tenant)).key;
  const names = ["Ng", null, "Abe", "Ng", null, "Zed", "Moe"];
  for (const [i, lastName] of names.entries()) {
    const participant = await enroll(tenant, programKey, { person: { firstName: `P${i}`, lastName, email: i % 3 ? `p${i}@example.com` : null } });
    personId ??= participant.person.id;
    for (let k = 0; k < 3 && i === 0; k++) {
      await tenant.ok(`mutation($id: ID!, $k: String!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "p", amount: "1", idempotencyKey: $k }) { id } }`, {
        id: participant.id,
        k: `k${k}`,
      });
    }
  }
  await createPerson(tenant, { lastName: null });
});
afterAll(() => h.close());

interface Connection {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Every id of a list, page by page of two, forward then backward. */
async function walk(read: (args: Record<string, unknown>) => Promise<Connection>) {
  const forward: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Connection = await read({ first: 2, after });
    forward.push(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const backward: string[] = [];
  let before: string | null = null;
  for (;;) {
    const page: Connection = await read({ last: 2, before });
    backward.unshift(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  return { forward, backward };
}

const CONNECTION = `edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

describe("backward pagination", () => {
  it.each([
    ["SERIAL_NUMBER", "ASC"],
    ["LAST_NAME", "ASC"],
    ["LAST_NAME", "DESC"],
    ["CREATED_AT", "DESC"],
  ])("participants by %s %s", async (field, direction) => {
    const { forward, backward } = await walk(async (args) =>
      (await tenant.ok(`query($k: String!, $o: ParticipantOrder, $first: Int, $after: String, $last: Int, $before: String) {
        participants(programKey: $k, orderBy: $o, first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} } }`, { k: programKey, o: { field, direction }, ...args })).participants,
    );
    expect(forward).toHaveLength(7);
    expect(backward).toEqual(forward);
  });

  it.each([
    ["EMAIL", "ASC"],
    ["LAST_NAME", "DESC"],
    ["CREATED_AT", "ASC"],
  ])("people by %s %s", async (field, direction) => {
    const { forward, backward } = await walk(async (args) =>
      (await tenant.ok(`query($o: PersonOrder, $first: Int, $after: String, $last: Int, $before: String) {
        people(orderBy: $o, first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} } }`, { o: { field, direction }, ...args })).people,
    );
    expect(forward).toHaveLength(8);
    expect(backward).toEqual(forward);
  });

  it("a person's participations, programs and a ledger", async () => {
    const lists = [
      async (args: Record<string, unknown>) =>
        (await tenant.ok(`query($first: Int, $after: String, $last: Int, $before: String) { programs(first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} } }`, args)).programs,
      async (args: Record<string, unknown>) =>
        (await tenant.ok(`query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { person(id: $id) { participants(first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} } } }`, { id: personId, ...args })).person.participants,
      async (args: Record<string, unknown>) => {
        const { participant } = await tenant.ok(`query($k: String!, $first: Int, $after: String, $last: Int, $before: String) {
          participant(programKey: $k, serialNumber: 1) { ledger(first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} } } }`, { k: programKey, ...args });
        return participant.ledger;
      },
    ];
    for (const read of lists) {
      const { forward, backward } = await walk(read);
      expect(forward.length).toBeGreaterThan(0);
      expect(backward).toEqual(forward);
    }
  });

  it("refuses first with before, and a forward cursor's ordering elsewhere", async () => {
    const page = `query($k: String!, $first: Int, $last: Int, $before: String, $after: String) { participants(programKey: $k, first: $first, last: $last, before: $before, after: $after) { totalCount } }`;
    const { participants } = await tenant.ok(`query($k: String!) { participants(programKey: $k, first: 1) { pageInfo { endCursor } } }`, { k: programKey });
    expect(codes(await tenant.gql(page, { k: programKey, first: 1, before: participants.pageInfo.endCursor }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(page, { k: programKey, last: 101 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(page, { k: programKey, last: 1, before: "forged" }))).toEqual(["BAD_USER_INPUT"]);
  });
});
