import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";

// SPEC §7–§8: a participant and its person in one write, tags changed without replacing them,
// times seen that only move outwards.
let h: Harness;
let tenant: Tenant;
let program: Awaited<ReturnType<typeof createProgram>>;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Complete person");
  program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
});
afterAll(() => h.close());

const UPDATE = `mutation($id: ID!, $input: UpdateParticipantInput!) {
  updateParticipant(id: $id, input: $input) { version tags email person { company title tags } customFields { value } } }`;

describe("updateParticipant with its person", () => {
  it("writes the participant and its person in one transaction", async () => {
    const participant = await enroll(tenant, program.key);
    const { updateParticipant } = await tenant.ok(UPDATE, {
      id: participant.id,
      input: { email: "one@example.com", person: { company: "Acme", title: "CTO", addTags: ["speaker"] }, customFields: [{ key: "size", value: "M" }] },
    });
    expect(updateParticipant).toMatchObject({ email: "one@example.com", person: { company: "Acme", title: "CTO", tags: ["speaker"] }, customFields: [{ value: "M" }] });
  });

  it("writes nothing when its last part fails", async () => {
    const participant = await enroll(tenant, program.key);
    const response = await tenant.gql(UPDATE, {
      id: participant.id,
      input: { person: { company: "Never" }, tags: ["never"], customFields: [{ key: "size", value: "L" }, { key: "nope", value: 1 }] },
    });
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { version tags person { company } customFields { value } } }`, { id: participant.id });
    expect(read).toEqual({ version: 1, tags: [], person: { company: null }, customFields: [{ value: null }] });
  });

  it("refuses a profile field given on the participant and in its person", async () => {
    const participant = await enroll(tenant, program.key);
    const response = await tenant.gql(UPDATE, { id: participant.id, input: { email: "a@example.com", person: { email: "b@example.com" } } });
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(response.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "person", "email"]);
  });
});

describe("addTags and removeTags", () => {
  it("change the set without replacing it, for persons and participants", async () => {
    const participant = await enroll(tenant, program.key, { tags: ["a", "b"] });
    const { updateParticipant } = await tenant.ok(UPDATE, { id: participant.id, input: { addTags: [" C ", "a"], removeTags: ["b"] } });
    expect(updateParticipant.tags).toEqual(["a", "c"]);
    const person = await createPerson(tenant, { tags: ["x"] });
    const { updatePerson } = await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { addTags: ["y"], removeTags: ["x"] }) { tags version } }`, { id: person.id });
    expect(updatePerson).toEqual({ tags: ["y"], version: 2 });
  });

  it("past 100 tags: refused, and the participant's earlier statements roll back with the transaction", async () => {
    const participant = await enroll(tenant, program.key, { tags: Array.from({ length: 100 }, (_, i) => `t${i}`) });
    const refused = await tenant.gql(UPDATE, { id: participant.id, input: { externalId: "rolled-back", addTags: ["one-more"], attributes: { x: 1 } } });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { externalId version attributes tags } }`, { id: participant.id });
    expect(read).toMatchObject({ externalId: participant.externalId ?? null, version: 1, attributes: {} });
    expect(read.tags).toHaveLength(100);
  });

  it("cannot come with tags", async () => {
    const person = await createPerson(tenant);
    expect(codes(await tenant.gql(`mutation($id: ID!) { updatePerson(id: $id, input: { tags: ["a"], addTags: ["b"] }) { id } }`, { id: person.id }))).toEqual(["BAD_USER_INPUT"]);
  });

  it("50 concurrent adds of different tags all survive", async () => {
    const person = await createPerson(tenant);
    const participant = await enroll(tenant, program.key, { person: undefined, personId: person.id });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? tenant.ok(`mutation($id: ID!, $t: [String!]) { updatePerson(id: $id, input: { addTags: $t }) { id } }`, { id: person.id, t: [`p${i}`] })
          : tenant.ok(UPDATE, { id: participant.id, input: { addTags: [`q${i}`] } }),
      ),
    );
    const { person: read } = await tenant.ok(`query($id: ID!) { person(id: $id) { tags participants { edges { node { tags } } } } }`, { id: person.id });
    expect(read.tags).toHaveLength(25);
    expect(read.participants.edges[0].node.tags).toHaveLength(25);
  });
});

describe("firstSeenAt and lastSeenAt", () => {
  const SEEN = `mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { firstSeenAt lastSeenAt } }`;

  it("the first lastSeenAt sets both; lastSeenAt never moves back, firstSeenAt never forward", async () => {
    const person = await createPerson(tenant);
    expect((await tenant.ok(SEEN, { id: person.id, input: { lastSeenAt: "2026-03-01T00:00:00Z" } })).updatePerson).toEqual({
      firstSeenAt: "2026-03-01T00:00:00.000Z",
      lastSeenAt: "2026-03-01T00:00:00.000Z",
    });
    expect((await tenant.ok(SEEN, { id: person.id, input: { lastSeenAt: "2026-02-01T00:00:00Z", firstSeenAt: "2026-04-01T00:00:00Z" } })).updatePerson).toEqual({
      firstSeenAt: "2026-03-01T00:00:00.000Z",
      lastSeenAt: "2026-03-01T00:00:00.000Z",
    });
    expect((await tenant.ok(SEEN, { id: person.id, input: { lastSeenAt: "2026-05-01T00:00:00Z", firstSeenAt: "2026-01-01T00:00:00Z" } })).updatePerson).toEqual({
      firstSeenAt: "2026-01-01T00:00:00.000Z",
      lastSeenAt: "2026-05-01T00:00:00.000Z",
    });
  });

  it("both may be given at creation", async () => {
    const { createPerson: created } = await tenant.ok(`mutation { createPerson(input: { firstSeenAt: "2025-01-01T00:00:00Z", lastSeenAt: "2026-01-01T00:00:00Z" }) { firstSeenAt lastSeenAt } }`);
    expect(created).toEqual({ firstSeenAt: "2025-01-01T00:00:00.000Z", lastSeenAt: "2026-01-01T00:00:00.000Z" });
  });
});

describe("Gainsight PX's user", () => {
  const FIELDS = `id gender score role accountId signedUpAt identities { system id } consent { globalUnsubscribe emailOptIn smsOptIn updatedAt }
    location { countryCode regionName continent city } inferredLocation { countryCode city }`;

  it("has typed homes for its standard fields", async () => {
    const { createPerson: person } = await tenant.ok(
      `mutation($input: CreatePersonInput!) { createPerson(input: $input) { ${FIELDS} } }`,
      {
        input: {
          gender: "FEMALE",
          score: 42,
          role: "Admin",
          accountId: "acct-1",
          signedUpAt: "2024-05-01T00:00:00Z",
          identities: [{ system: "salesforce", id: "003XYZ" }, { system: "stripe", id: "cus_1" }],
          consent: { globalUnsubscribe: true },
          location: { countryCode: "USA", regionName: "California", continent: "North America", city: "Palo Alto" },
          inferredLocation: { countryCode: "840", city: "San Jose" },
        },
      },
    );
    expect(person).toMatchObject({
      gender: "FEMALE",
      score: 42,
      role: "Admin",
      accountId: "acct-1",
      signedUpAt: "2024-05-01T00:00:00.000Z",
      identities: [{ system: "salesforce", id: "003XYZ" }, { system: "stripe", id: "cus_1" }],
      consent: { globalUnsubscribe: true, emailOptIn: null, smsOptIn: null },
      location: { countryCode: "US", regionName: "California", continent: "North America", city: "Palo Alto" },
      inferredLocation: { countryCode: "US", city: "San Jose" },
    });
    expect(person.consent.updatedAt).not.toBeNull();
    const found = await tenant.ok(`{ person(identity: { system: "salesforce", id: "003XYZ" }) { id } people(filter: { identity: { system: "stripe", id: "cus_1" } }) { totalCount } }`);
    expect(found).toEqual({ person: { id: person.id }, people: { totalCount: 1 } });
  });

  it("refuses a country code ISO 3166-1 does not have", async () => {
    for (const countryCode of ["ZZ", "XXX", "999", "U"]) {
      const response = await tenant.gql(`mutation($c: String) { createPerson(input: { location: { countryCode: $c } }) { id } }`, { c: countryCode });
      expect(codes(response), countryCode).toEqual(["BAD_USER_INPUT"]);
      expect(response.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "location", "countryCode"]);
    }
  });

  it("keeps one id per system, unique in the workspace; an empty id removes it", async () => {
    const a = await createPerson(tenant);
    const b = await createPerson(tenant);
    const SET = `mutation($id: ID!, $i: [ExternalIdentityInput!]) { updatePerson(id: $id, input: { identities: $i }) { identities { system id } } }`;
    await tenant.ok(SET, { id: a.id, i: [{ system: "hubspot", id: "h-1" }] });
    expect(codes(await tenant.gql(SET, { id: b.id, i: [{ system: "hubspot", id: "h-1" }] }))).toEqual(["CONFLICT"]);
    expect(codes(await tenant.gql(SET, { id: b.id, i: [{ system: "hubspot", id: "h-2" }, { system: "hubspot", id: "h-3" }] }))).toEqual(["BAD_USER_INPUT"]);
    expect((await tenant.ok(SET, { id: a.id, i: [{ system: "hubspot", id: "h-9" }, { system: "zendesk", id: "z-1" }] })).updatePerson.identities).toEqual([
      { system: "hubspot", id: "h-9" },
      { system: "zendesk", id: "z-1" },
    ]);
    expect((await tenant.ok(SET, { id: a.id, i: [{ system: "hubspot", id: "" }] })).updatePerson.identities).toEqual([{ system: "zendesk", id: "z-1" }]);
    expect((await tenant.ok(`{ person(identity: { system: "hubspot", id: "h-9" }) { id } }`)).person).toBeNull();
  });

  it("merges consent choices and stamps when one changed", async () => {
    const person = await createPerson(tenant);
    const SET = `mutation($id: ID!, $c: ConsentInput) { updatePerson(id: $id, input: { consent: $c }) { consent { globalUnsubscribe emailOptIn smsOptIn updatedAt } } }`;
    const first = (await tenant.ok(SET, { id: person.id, c: { emailOptIn: true } })).updatePerson.consent;
    expect(first).toMatchObject({ globalUnsubscribe: false, emailOptIn: true, smsOptIn: null });
    const same = (await tenant.ok(SET, { id: person.id, c: { emailOptIn: true } })).updatePerson.consent;
    expect(same.updatedAt).toBe(first.updatedAt);
    const next = (await tenant.ok(SET, { id: person.id, c: { smsOptIn: false } })).updatePerson.consent;
    expect(next).toMatchObject({ emailOptIn: true, smsOptIn: false });
  });
});

describe("person fields", () => {
  it("are typed like program fields, written in person inputs, read processed, and filterable", async () => {
    const other = await h.workspace("Person fields");
    const define = (input: Record<string, unknown>) => other.ok(`mutation($input: CustomFieldInput!) { definePersonField(input: $input) { id key } }`, { input });
    await define({ key: "Category_Name", label: "Category", type: "SELECT", options: [{ value: "spk", label: "Speaker" }, { value: "del", label: "Delegate" }] });
    await define({ key: "biography", label: "Biography", type: "TEXT" });
    await define({ key: "seats", label: "Seats", type: "NUMBER" });
    const { createPerson } = await other.ok(
      `mutation { createPerson(input: { firstName: "Ada", customFields: [{ key: "Category_Name", value: "Speaker" }, { key: "seats", value: "3" }] }) {
        id customFields { key value displayValue } customField(key: "Category_Name") { displayValue } } }`,
    );
    expect(createPerson.customFields).toEqual([
      { key: "Category_Name", value: "spk", displayValue: "Speaker" },
      { key: "biography", value: null, displayValue: null },
      { key: "seats", value: 3, displayValue: "3" },
    ]);
    expect(createPerson.customField).toEqual({ displayValue: "Speaker" });
    const bad = await other.gql(`mutation($id: ID!) { updatePerson(id: $id, input: { customFields: [{ key: "seats", value: "many" }, { key: "nope", value: 1 }] }) { id } }`, { id: createPerson.id });
    expect(codes(bad)).toEqual(["BAD_USER_INPUT"]);
    expect(bad.errors![0]!.extensions.fieldErrors.map((e: { path: string[] }) => e.path)).toEqual([["input", "customFields", "seats"], ["input", "customFields", "nope"]]);
    await other.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { customFields: [{ key: "biography", value: "Mathematician." }, { key: "seats", value: null }] }) { id } }`, { id: createPerson.id });
    const { people } = await other.ok(`{ people(filter: { customFields: [{ key: "Category_Name", equals: "spk" }] }) { totalCount edges { node { customFields { key value } } } } }`);
    expect(people.totalCount).toBe(1);
    expect(people.edges[0].node.customFields).toEqual([
      { key: "Category_Name", value: "spk" },
      { key: "biography", value: "Mathematician." },
      { key: "seats", value: null },
    ]);
    const { personFields } = await other.ok(`{ personFields { key type } }`);
    expect(personFields.map((f: { key: string }) => f.key)).toEqual(["Category_Name", "biography", "seats"]);
    expect(codes(await other.gql(`mutation { definePersonField(input: { key: "seats", label: "Again", type: TEXT }) { id } }`))).toEqual(["CONFLICT"]);
  });

  it("a required person field must be given when a person is made, and converts with its definition", async () => {
    const other = await h.workspace("Required person field");
    const { definePersonField } = await other.ok(`mutation { definePersonField(input: { key: "code", label: "Code", type: TEXT, required: true }) { id } }`);
    expect(codes(await other.gql(`mutation { createPerson(input: { firstName: "X" }) { id } }`))).toEqual(["BAD_USER_INPUT"]);
    const { createPerson } = await other.ok(`mutation { createPerson(input: { firstName: "X", customFields: [{ key: "code", value: "42" }] }) { id } }`);
    await other.ok(`mutation($id: ID!) { updateCustomField(id: $id, input: { type: NUMBER }) { type } }`, { id: definePersonField.id });
    const { person } = await other.ok(`query($id: ID!) { person(id: $id) { customFields { value } } }`, { id: createPerson.id });
    expect(person.customFields).toEqual([{ value: 42 }]);
  });
});

describe("mergePersons", () => {
  const MERGE = `mutation($s: ID!, $t: ID!) { mergePersons(sourceId: $s, targetId: $t) {
    id externalId email company title tags identities { system id } attributes participants { totalCount edges { node { program { key } ledger { totalCount } } } } } }`;

  it("keeps the target's values, takes the source's where it has none, moves participations and deletes the source", async () => {
    const other = await h.workspace("Merge");
    const programs = [await createProgram(other), await createProgram(other)];
    const target = await createPerson(other, { email: "ada@example.com", company: "Acme", tags: ["vip"] });
    const source = await createPerson(other, { externalId: "crm-7", email: "ada@old.example.com", title: "CTO", tags: ["speaker"] });
    await other.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { identities: [{ system: "crm", id: "7" }], attributes: { plan: "pro", seats: 3 } }) { id } }`, { id: source.id });
    await other.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { attributes: { plan: "basic" } }) { id } }`, { id: target.id });
    await enroll(other, programs[0]!.key, { person: undefined, personId: target.id });
    const moved = await enroll(other, programs[1]!.key, { person: undefined, personId: source.id });
    await other.ok(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "v", amount: "1", idempotencyKey: "m" }) { id } }`, { id: moved.id });
    const { mergePersons } = await other.ok(MERGE, { s: source.id, t: target.id });
    expect(mergePersons).toMatchObject({
      id: target.id,
      externalId: "crm-7",
      email: "ada@example.com",
      company: "Acme",
      title: "CTO",
      tags: ["speaker", "vip"],
      identities: [{ system: "crm", id: "7" }],
      attributes: { plan: "basic", seats: 3 },
      participants: { totalCount: 2 },
    });
    expect(mergePersons.participants.edges.map((e: { node: { ledger: { totalCount: number } } }) => e.node.ledger.totalCount).sort()).toEqual([0, 1]);
    expect((await other.ok(`query($id: ID!) { person(id: $id) { id } }`, { id: source.id })).person).toBeNull();
  });

  it("is CONFLICT when both are in one program, and writes nothing; into itself is BAD_USER_INPUT", async () => {
    const other = await h.workspace("Merge conflict");
    const program = await createProgram(other);
    const a = await createPerson(other, { company: "A" });
    const b = await createPerson(other);
    await enroll(other, program.key, { person: undefined, personId: a.id });
    await enroll(other, program.key, { person: undefined, personId: b.id });
    expect(codes(await other.gql(MERGE, { s: a.id, t: b.id }))).toEqual(["CONFLICT"]);
    const { person } = await other.ok(`query($id: ID!) { person(id: $id) { company participants { totalCount } } }`, { id: a.id });
    expect(person).toEqual({ company: "A", participants: { totalCount: 1 } });
    expect((await other.ok(`query($id: ID!) { person(id: $id) { company } }`, { id: b.id })).person).toEqual({ company: null });
    expect(codes(await other.gql(MERGE, { s: a.id, t: a.id }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await other.gql(MERGE, { s: a.id, t: "00000000-0000-4000-8000-000000000000" }))).toEqual(["NOT_FOUND"]);
  });
});
