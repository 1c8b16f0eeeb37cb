import fc from "fast-check";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { createHarness, type GraphQLResponse, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";

// Generated hostile input to every mutation: never a 5xx, never an unexpected error, never a
// partial write, and every rejection with one of the spec's client codes.
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const CLIENT_CODES = new Set(["BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "FORBIDDEN"]);

let h: Harness;
let tenant: Tenant;
let ids: { personId: string; participantId: string; programId: string; programKey: string; fieldId: string };

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Fuzz");
  const program = await createProgram(tenant, [
    { key: "text", type: "TEXT" },
    { key: "num", type: "NUMBER" },
    { key: "day", type: "DATE" },
    { key: "pick", type: "SELECT", options: [{ value: "a", label: "A" }] },
    { key: "many", type: "MULTI_SELECT", options: [{ value: "a", label: "A" }] },
  ]);
  const person = await createPerson(tenant);
  const participant = await enroll(tenant, program.key, { person: undefined, personId: person.id });
  ids = { personId: person.id, participantId: participant.id, programId: program.id, programKey: program.key, fieldId: program.fieldIds.text! };
});
afterAll(() => h.close());

const injection = fc.constantFrom(
  "'; DROP TABLE person; --",
  "\" OR 1=1 --",
  "<script>alert(1)</script>",
  "${7*7}",
  "{{constructor.constructor('return 1')()}}",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "../../etc/passwd",
  "%00",
  "__proto__",
);
const hugeString = fc.integer({ min: 60_000, max: 80_000 }).map((n) => "x".repeat(n));
const deepJson = fc.integer({ min: 50, max: 400 }).map((depth) => {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nested: value };
  return value;
});
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 5e-324));
const text = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), injection, hugeString);
const anything: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: number },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 5 }) },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: fc.dictionary(text, number, { maxKeys: 4 }) },
);
const key = fc.oneof(text, fc.constantFrom("text", "num", "day", "pick", "many", "default"));
const maybe = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const profile = fc.record(
  {
    externalId: anything,
    email: anything,
    phone: anything,
    firstName: anything,
    displayName: anything,
    avatarUrl: anything,
    timezone: anything,
    locale: anything,
    type: fc.oneof(fc.constantFrom("LEAD", "USER", "VISITOR"), anything),
    location: fc.oneof(fc.record({ countryCode: anything, latitude: anything, city: anything }, { requiredKeys: [] }), anything),
    tags: fc.oneof(fc.array(text, { maxLength: 120 }), anything),
    attributes: fc.oneof(fc.dictionary(text, anything, { maxKeys: 5 }), anything),
  },
  { requiredKeys: [] },
);
const customValues = fc.array(fc.record({ key, value: anything }), { maxLength: 4 });

interface Template {
  name: string;
  query: string;
  variables: fc.Arbitrary<Record<string, unknown>>;
}

const TEMPLATES = (): Template[] => [
  { name: "createPerson", query: `mutation($input: CreatePersonInput!) { createPerson(input: $input) { id } }`, variables: profile.map((input) => ({ input })) },
  {
    name: "updatePerson",
    query: `mutation($id: ID!, $input: UpdatePersonInput!, $v: Int) { updatePerson(id: $id, input: $input, expectedVersion: $v) { id } }`,
    variables: fc.record({ id: fc.oneof(fc.constant(ids.personId), text), input: profile, v: maybe(fc.oneof(fc.integer(), anything)) }),
  },
  {
    name: "setAttributes",
    query: `mutation($id: ID!, $bucket: String!, $attributes: JSONObject!) { setAttributes(personId: $id, bucket: $bucket, attributes: $attributes) { id } }`,
    variables: fc.record({ id: fc.oneof(fc.constant(ids.personId), text), bucket: key, attributes: fc.oneof(fc.dictionary(text, anything, { maxKeys: 5 }), anything) }),
  },
  {
    name: "updateParticipant",
    query: `mutation($id: ID!, $input: UpdateParticipantInput!) { updateParticipant(id: $id, input: $input) { id } }`,
    variables: fc.record({
      id: fc.constant(ids.participantId),
      input: fc.record({ externalId: anything, email: anything, tags: fc.oneof(fc.array(text), anything), attributes: fc.oneof(fc.dictionary(text, anything, { maxKeys: 5 }), anything), customFields: fc.oneof(customValues, anything) }, { requiredKeys: [] }),
    }),
  },
  {
    name: "enrollParticipant",
    query: `mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`,
    variables: fc.record({ programKey: fc.oneof(fc.constant(ids.programKey), text), person: profile, externalId: maybe(anything), tags: maybe(fc.array(text)), customFields: maybe(customValues) }, { requiredKeys: ["programKey", "person"] }).map((input) => ({ input })),
  },
  {
    name: "defineCustomField",
    query: `mutation($id: ID!, $input: CustomFieldInput!) { defineCustomField(programId: $id, input: $input) { id } }`,
    variables: fc.record({
      id: fc.oneof(fc.constant(ids.programId), text),
      input: fc.record({ key: text, label: text, type: fc.constantFrom("TEXT", "SELECT", "MULTI_SELECT", "NUMBER"), options: maybe(fc.array(fc.record({ value: text, label: text }), { maxLength: 3 })) }, { requiredKeys: ["key", "label", "type"] }),
    }),
  },
  {
    name: "updateCustomField",
    query: `mutation($id: ID!, $input: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $input) { id } }`,
    variables: fc.record({ id: fc.constant(ids.fieldId), input: fc.record({ label: maybe(text), type: maybe(fc.constantFrom("NUMBER", "BOOLEAN", "URL", "TEXT")) }, { requiredKeys: [] }) }),
  },
  {
    name: "postLedgerEntry",
    query: `mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id } }`,
    variables: fc.record({
      participantId: fc.oneof(fc.constant(ids.participantId), text),
      kind: fc.constantFrom("BALANCE", "COUNTER", "BOOKING", "PAYMENT", "TIER"),
      asset: text,
      bucket: maybe(fc.constantFrom("AVAILABLE", "PENDING", "LOCKED")),
      amount: fc.oneof(text, number.map(String), fc.constantFrom("1e400", "-0", "00.1", "99999999999999999999999.1")),
      idempotencyKey: text,
      note: maybe(text),
    }, { requiredKeys: ["participantId", "kind", "asset", "amount", "idempotencyKey"] }).map((input) => ({ input })),
  },
  {
    name: "upsertPerson",
    query: `mutation($e: String!, $input: UpdatePersonInput!) { upsertPerson(externalId: $e, input: $input) { id } }`,
    variables: fc.record({ e: text, input: profile }),
  },
  { name: "createProgram", query: `mutation($input: CreateProgramInput!) { createProgram(input: $input) { id } }`, variables: fc.record({ key: text, name: text }).map((input) => ({ input })) },
  {
    name: "setTier",
    query: `mutation($id: ID!, $t: String!, $l: String!, $r: Int!) { setTier(participantId: $id, tierType: $t, level: $l, rank: $r) { id } }`,
    variables: fc.record({ id: fc.constant(ids.participantId), t: text, l: text, r: fc.oneof(fc.integer(), anything) }),
  },
  { name: "createAttributeBucket", query: `mutation($n: String!, $d: String) { createAttributeBucket(name: $n, description: $d) { name } }`, variables: fc.record({ n: text, d: maybe(text) }) },
  { name: "createApiKey", query: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, variables: fc.record({ name: text, scopes: fc.array(fc.constantFrom("READ", "WRITE", "ADMIN")), buckets: maybe(fc.array(text)) }).map((input) => ({ input })) },
];

function assertClean(name: string, response: GraphQLResponse) {
  expect(response.status, name).toBeLessThan(500);
  for (const error of response.errors ?? []) {
    expect(CLIENT_CODES.has(error.extensions?.code), `${name}: ${JSON.stringify(error).slice(0, 300)}`).toBe(true);
  }
}

/** The participant's whole state, to check that a rejected update wrote none of it. */
async function participantState() {
  const p = h.db.prisma;
  return JSON.stringify([
    await p.participant.findUnique({ where: { id: ids.participantId } }),
    await p.customFieldValue.findMany({ where: { participantId: ids.participantId }, orderBy: { fieldId: "asc" } }),
    await p.person.findUnique({ where: { id: ids.personId } }),
  ]);
}

describe("fuzzing every mutation", () => {
  it("covers every mutation of the schema", async () => {
    const { buildSchema } = await import("../src/schema/index.js");
    const mutations = Object.keys(buildSchema().getMutationType()!.getFields());
    const fuzzed = new Set(TEMPLATES().map((t) => t.name));
    // Deletes and status changes take only an id and an enum; the isolation and scope tests
    // drive them with foreign and malformed ids.
    const notFuzzed = mutations.filter((m) => !fuzzed.has(m));
    expect(notFuzzed.sort()).toEqual(["deleteParticipant", "deletePerson", "revokeApiKey", "setParticipantStatus", "setPersonStatus", "updateProgram"]);
  });

  it.each(["createPerson", "updatePerson", "upsertPerson", "setAttributes", "updateParticipant", "enrollParticipant", "defineCustomField", "updateCustomField", "postLedgerEntry", "createProgram", "setTier", "createAttributeBucket", "createApiKey"])(
    "%s: never a 5xx or an unexpected error; a rejection writes nothing",
    async (name) => {
      const template = TEMPLATES().find((t) => t.name === name)!;
      await fc.assert(
        fc.asyncProperty(template.variables, async (variables) => {
          const before = name === "updateParticipant" ? await participantState() : undefined;
          const response = await tenant.gql(template.query, variables);
          assertClean(name, response);
          if (before !== undefined && response.errors?.length) expect(await participantState()).toBe(before);
        }),
        { numRuns: RUNS },
      );
    },
  );
});
