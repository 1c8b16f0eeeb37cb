import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countStatements } from "../src/db/statement-counter.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createProgram, enroll } from "./support/fixtures.js";

// Counts the SQL statements a request actually sends (at the driver adapter), not resolver calls:
// a page of 100 must cost what a page of 1 costs.
let h: Harness;
let tenant: Tenant;
let programKey: string;
let personIds: string[] = [];
let participantIds: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Query counts");
  const fields = Array.from({ length: 5 }, (_, i) => ({ key: `f${i}`, type: i % 2 ? "NUMBER" : "TEXT" }));
  const program = await createProgram(tenant, fields);
  programKey = program.key;
  const other = await createProgram(tenant);
  for (let batch = 0; batch < 10; batch++) {
    const enrolled = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        enroll(tenant, programKey, {
          tags: ["a", `t${i}`],
          attributes: { n: batch * 10 + i },
          person: { firstName: `P${batch}${i}`, externalId: `ext-${batch}-${i}`, attributes: { score: i } },
          customFields: fields.map((f, j) => ({ key: f.key, value: j % 2 ? j : `v${j}` })),
        }),
      ),
    );
    personIds.push(...enrolled.map((p) => p.person.id));
    participantIds.push(...enrolled.map((p) => p.id));
  }
  // A second participation for every person, so that people → participants has rows to batch.
  for (let i = 0; i < personIds.length; i += 10) {
    await Promise.all(personIds.slice(i, i + 10).map((personId) => enroll(tenant, other.key, { person: undefined, personId })));
  }
});
afterAll(() => h.close());

async function statements(query: string, variables: Record<string, unknown>) {
  const response = await tenant.gql(query, variables);
  expect(response.errors).toBeUndefined();
  return { statements: response.statements, data: response.data! };
}

const LIST = `query($key: String!, $first: Int!) {
  participants(programKey: $key, first: $first) {
    edges { node { id tags attributes person { id firstName lastName email } customFields { key value displayValue } } }
  } }`;

/** The SQL texts one request sends. */
async function textsOf(query: string, variables: Record<string, unknown>): Promise<string[]> {
  const { result, texts } = await countStatements(
    () => Promise.resolve(h.app.fetch("http://test/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` }, body: JSON.stringify({ query, variables }) })),
    { texts: true },
  );
  const body = (await result.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
  return texts;
}

describe("SQL statements per request", () => {
  it("a page's statement text depends on its shape only: values travel as parameters, so PostgreSQL keeps one plan", async () => {
    const query = `query($key: String!, $first: Int!, $after: String, $tag: [String!]!) {
      participants(programKey: $key, first: $first, after: $after, filter: { tagsAny: $tag }) {
        pageInfo { endCursor } edges { node { id person { firstName } customFields { key value } } } } }`;
    const first = await textsOf(query, { key: programKey, first: 5, tag: ["a"] });
    const { data } = await statements(query, { key: programKey, first: 5, tag: ["a"] });
    const other = await textsOf(query, { key: programKey, first: 5, after: data.participants.pageInfo.endCursor, tag: ["t3"] });
    // The page statement: its LIMIT is a number in the text (Prisma's look-ups bind theirs).
    const page = (texts: string[]) => texts.filter((t) => /LIMIT \d/.test(t));
    expect(page(first)).toHaveLength(1);
    // After a cursor the keyset condition is part of the shape: compare two pages after cursors.
    const later = await textsOf(query, { key: programKey, first: 5, after: data.participants.pageInfo.endCursor, tag: ["t7"] });
    expect(page(later)).toEqual(page(other));
    expect(page(await textsOf(query, { key: programKey, first: 5, tag: ["t9"] }))).toEqual(page(first));
    // Response keys (aliases) are parameters of the direct reads' statement, never its text.
    expect(page(await textsOf(query.replace("node { id", "node { ident: id"), { key: programKey, first: 5, tag: ["a"] }))).toEqual(page(first));
    // The page size is in the text (a generic plan per size): the only difference.
    const bigger = page(await textsOf(query, { key: programKey, first: 6, tag: ["a"] }));
    expect(bigger[0]!.replace(/LIMIT \d+/, "LIMIT n")).toBe(page(first)[0]!.replace(/LIMIT \d+/, "LIMIT n"));
    expect(bigger[0]).not.toBe(page(first)[0]);
  });


  it("participants: the same for 1 and 100 rows, and at most 4", async () => {
    await statements(LIST, { key: programKey, first: 1 }); // warms the program-key cache
    const one = await statements(LIST, { key: programKey, first: 1 });
    const hundred = await statements(LIST, { key: programKey, first: 100 });
    expect(hundred.data.participants.edges).toHaveLength(100);
    expect(hundred.data.participants.edges[99].node.customFields).toHaveLength(5);
    expect(hundred.statements).toBe(one.statements);
    // The API key, then the page with its persons, custom values and definitions.
    expect(hundred.statements).toBeLessThanOrEqual(2);
  });

  it("participants selected through fragments: the same statements and data as without", async () => {
    const withFragments = `query($key: String!, $first: Int!) {
      participants(programKey: $key, first: $first) { edges { ...Edge } } }
      fragment Edge on ParticipantEdge { node { id tags attributes ... on Participant { person { id firstName lastName email } } ...Fields } }
      fragment Fields on Participant { customFields { key value displayValue } }`;
    const plain = await statements(LIST, { key: programKey, first: 100 });
    const fragmented = await statements(withFragments, { key: programKey, first: 100 });
    expect(fragmented.data).toEqual(plain.data);
    expect(fragmented.statements).toBe(plain.statements);
    const single = await statements(
      `query($key: String!) { participants(programKey: $key, first: 100) { edges { node { customField(key: "f1") { value } } } } }`,
      { key: programKey },
    );
    expect(single.data.participants.edges.map((e: { node: { customField: { value: unknown } } }) => e.node.customField.value)).toEqual(Array(100).fill(1));
    expect(single.statements).toBe(plain.statements);
  });

  it("participants with totalCount, ledger figures and tiers: still constant", async () => {
    const query = `query($key: String!, $first: Int!) { participants(programKey: $key, first: $first) { totalCount
      edges { node { id balances { amount } counters { value } financials { currency } tiers { level } program { key } } } } }`;
    const one = await statements(query, { key: programKey, first: 1 });
    const hundred = await statements(query, { key: programKey, first: 100 });
    expect(hundred.statements).toBe(one.statements);
  });

  it("_entities: the same for 1 and 100 Person representations", async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id firstName attributes } } }`;
    const reps = (ids: string[]) => ids.map((id) => ({ __typename: "Person", id }));
    const one = await statements(query, { reps: reps(personIds.slice(0, 1)) });
    const hundred = await statements(query, { reps: reps(personIds) });
    expect(hundred.data._entities.map((e: { id: string }) => e.id)).toEqual(personIds);
    expect(hundred.statements).toBe(one.statements);
    const byExternalId = await statements(query, {
      reps: Array.from({ length: 100 }, (_, i) => ({ __typename: "Person", externalId: `ext-${Math.floor(i / 10)}-${i % 10}` })),
    });
    expect(byExternalId.statements).toBe(one.statements);
  });

  it("_entities: the same for 1 and 100 Participant representations", async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Participant { id serialNumber customFields { key value } } } }`;
    const reps = (ids: string[]) => ids.map((id) => ({ __typename: "Participant", id }));
    const one = await statements(query, { reps: reps(participantIds.slice(0, 1)) });
    const hundred = await statements(query, { reps: reps(participantIds) });
    expect(hundred.data._entities).toHaveLength(100);
    expect(hundred.statements).toBe(one.statements);
  });

  it("people with their participants: the same for 1 and 100 people", async () => {
    const query = `query($first: Int!) { people(first: $first) { edges { node { id attributes participants(first: 5) { totalCount edges { node { serialNumber customFields { key value } person { id } } } } } } } }`;
    const one = await statements(query, { first: 1 });
    const hundred = await statements(query, { first: 100 });
    expect(hundred.data.people.edges).toHaveLength(100);
    expect(hundred.data.people.edges[0].node.participants.totalCount).toBe(2);
    expect(hundred.statements).toBe(one.statements);
  });
});

describe("SQL statements per write", () => {
  const OWN = `id serialNumber externalId status statusReason tags attributes version createdAt updatedAt`;
  const UPDATE = `mutation($id: ID!, $tags: [String!], $value: JSON!) {
    updateParticipant(id: $id, input: { tags: $tags, customFields: [{ key: "f1", value: $value }] }) { ${OWN} } }`;

  it("updateParticipant reads the participant with its definitions once, and answers its own fields from the update's row", async () => {
    const id = participantIds[0]!;
    const texts = await textsOf(UPDATE, { id, tags: ["w"], value: 7 });
    // (The value's upsert reads its definition's type and options too, to store its display.)
    expect(texts.filter((t) => /custom_field_definition/.test(t) && !/^\s*INSERT INTO custom_field_value/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /\bparticipant\b/.test(t) && /^\s*SELECT/i.test(t) && !/set_config/.test(t))).toHaveLength(1);
    // The answer is the row as stored: the same as a read after the write.
    const { data } = await statements(UPDATE, { id, tags: ["x", "w"], value: 8 });
    const read = await statements(`query($id: ID!) { participant(id: $id) { ${OWN} customFields { key value } } }`, { id });
    expect(data.updateParticipant).toEqual({ ...read.data.participant, customFields: undefined });
    expect(read.data.participant.customFields.find((f: { key: string }) => f.key === "f1").value).toBe(8);
    expect(read.data.participant.tags).toEqual(["w", "x"]);
  });

  it("setAttributes finds the person by its update: no read before it", async () => {
    const id = personIds[0]!;
    const SET = `mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id version updatedAt attributes } }`;
    const texts = await textsOf(SET, { id, a: { n: 1 } });
    expect(texts.filter((t) => /^\s*SELECT/i.test(t) && /\bperson\b/.test(t) && !/set_config|attribute_bucket|person_attribute/.test(t))).toEqual([]);
    const { data } = await statements(SET, { id, a: { n: 2 } });
    const read = await statements(`query($id: ID!) { person(id: $id) { id version updatedAt attributes } }`, { id });
    expect(data.setAttributes).toEqual(read.data.person);
    expect(read.data.person.attributes).toMatchObject({ n: 2 });
  });

  it("postLedgerEntry checks its participant and returns the entry in its insert: no read before or after it", async () => {
    const ENTRY = `id kind asset bucket amount idempotencyKey note createdAt`;
    const POST = `mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { ${ENTRY} } }`;
    const input = (key: string) => ({ participantId: participantIds[1]!, kind: "BALANCE", bucket: "AVAILABLE", asset: "points", amount: "12.50", note: "n", idempotencyKey: key });
    const texts = await textsOf(POST, { input: input("count-1") });
    expect(texts.filter((t) => /^\s*SELECT/i.test(t) && /\b(participant|ledger_entry)\b/.test(t) && !/set_config/.test(t))).toEqual([]);
    const { data } = await statements(POST, { input: input("count-2") });
    const read = await statements(`query($id: ID!) { participant(id: $id) { ledger(first: 1) { edges { node { ${ENTRY} } } } } }`, { id: participantIds[1] });
    expect(data.postLedgerEntry).toEqual(read.data.participant.ledger.edges[0].node);
    expect(data.postLedgerEntry).toMatchObject({ amount: "12.50", bucket: "AVAILABLE", kind: "BALANCE" });
    // The same key again answers the stored entry, as before.
    expect((await statements(POST, { input: input("count-2") })).data.postLedgerEntry).toEqual(data.postLedgerEntry);
  });
});
