import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createProgram, enroll, fieldOfEveryType } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Custom fields");
});
afterAll(() => h.close());

const COLOURS = [{ value: "r", label: "Red" }, { value: "g", label: "Green" }, { value: "b", label: "Blue" }];
const ALL_TYPES = fieldOfEveryType(COLOURS);

const VALUES = `customFields { key value displayValue field { type label required archived options { value label } } }`;
const UPDATE = `mutation($id: ID!, $cf: [CustomFieldValueInput!]) { updateParticipant(id: $id, input: { customFields: $cf }) { ${VALUES} } }`;

function byKey(fields: { key: string; value: unknown; displayValue: unknown }[]) {
  return Object.fromEntries(fields.map((f) => [f.key, { value: f.value, displayValue: f.displayValue }]));
}

describe("custom field values", () => {
  it("read back typed, with a display value, for every type", async () => {
    const program = await createProgram(tenant, ALL_TYPES);
    const p = await enroll(tenant, program.key);
    const { updateParticipant } = await tenant.ok(UPDATE, {
      id: p.id,
      cf: [
        { key: "text", value: "  hello " },
        { key: "number", value: 12.5 },
        { key: "flag", value: true },
        { key: "day", value: "2026-01-15" },
        { key: "moment", value: "2026-01-15T11:30:00+01:00" },
        { key: "colour", value: "g" },
        { key: "colours", value: ["r", "b", "r"] },
        { key: "mail", value: "x@example.com" },
        { key: "site", value: "https://example.com/a" },
      ],
    });
    expect(byKey(updateParticipant.customFields)).toEqual({
      text: { value: "hello", displayValue: "hello" },
      number: { value: 12.5, displayValue: "12.5" },
      flag: { value: true, displayValue: "Yes" },
      day: { value: "2026-01-15", displayValue: "15 Jan 2026" },
      moment: { value: "2026-01-15T10:30:00.000Z", displayValue: "15 Jan 2026, 10:30 UTC" },
      colour: { value: "g", displayValue: "Green" },
      colours: { value: ["r", "b"], displayValue: "Red, Blue" },
      mail: { value: "x@example.com", displayValue: "x@example.com" },
      site: { value: "https://example.com/a", displayValue: "https://example.com/a" },
    });
  });

  it("list every non-archived field, null when unset, and one by key", async () => {
    const program = await createProgram(tenant, ALL_TYPES);
    const p = await enroll(tenant, program.key, { customFields: [{ key: "number", value: 3 }] });
    expect(p.customFields.map((f: { key: string }) => f.key)).toEqual(ALL_TYPES.map((f) => f.key));
    expect(p.customFields.filter((f: { value: unknown }) => f.value === null)).toHaveLength(ALL_TYPES.length - 1);
    const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { customField(key: "number") { key value field { type } updatedAt } missing: customField(key: "nope") { key } } }`, { id: p.id });
    const { updatedAt, ...rest } = participant.customField;
    expect({ ...participant, customField: rest }).toEqual({ customField: { key: "number", value: 3, field: { type: "NUMBER" } }, missing: null });
    const stored = await h.db.prisma.customFieldValue.findFirstOrThrow({ where: { participantId: p.id } });
    expect(updatedAt).toBe(stored.updatedAt.toISOString());
  });

  it("reject a bad value of each type with BAD_USER_INPUT naming the field key", async () => {
    const program = await createProgram(tenant, ALL_TYPES);
    const p = await enroll(tenant, program.key);
    const bad = [
      { key: "text", value: 5 },
      { key: "number", value: "12 apples" },
      { key: "flag", value: "maybe" },
      { key: "day", value: "2026-02-30" },
      { key: "moment", value: "2026-01-15T10:30:00" },
      { key: "colour", value: "purple" },
      { key: "colours", value: ["r", "x"] },
      { key: "mail", value: "nope" },
      { key: "site", value: "javascript:alert(1)" },
    ];
    for (const value of bad) {
      const response = await tenant.gql(UPDATE, { id: p.id, cf: [value] });
      expect(codes(response), value.key).toEqual(["BAD_USER_INPUT"]);
      expect(response.errors![0]!.extensions.fieldErrors.map((e: { path: string[] }) => e.path)).toEqual([["input", "customFields", value.key]]);
    }
    const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { version customFields { value } } }`, { id: p.id });
    expect(participant.version).toBe(1);
    expect(participant.customFields.every((f: { value: unknown }) => f.value === null)).toBe(true);
  });

  it("take text from text-only systems where it means one thing: numbers, yes/no, option labels", async () => {
    const options = [
      { value: "veg", label: "Vegetarian" },
      { value: "gf", label: "Gluten-free" },
      { value: "v", label: "VEG" },
    ];
    const program = await createProgram(tenant, [
      { key: "n", type: "NUMBER" },
      { key: "b", type: "BOOLEAN" },
      { key: "diet", type: "SELECT", options },
      { key: "diets", type: "MULTI_SELECT", options },
    ]);
    const p = await enroll(tenant, program.key);
    const write = (cf: unknown[]) => tenant.gql(UPDATE, { id: p.id, cf });
    const values = async (cf: unknown[]) => {
      const response = await write(cf);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return Object.fromEntries(response.data!.updateParticipant.customFields.map((f: { key: string; value: unknown }) => [f.key, f.value]));
    };
    expect(await values([{ key: "n", value: " 12.50 " }, { key: "b", value: "Yes" }, { key: "diet", value: "gluten-FREE" }, { key: "diets", value: "Vegetarian, Gluten-free" }])).toEqual({
      n: 12.5,
      b: true,
      diet: "gf",
      diets: ["veg", "gf"],
    });
    for (const [word, flag] of [["NO", false], ["1", true], ["0", false], ["true", true]] as const) {
      expect((await values([{ key: "b", value: word }])).b).toBe(flag);
    }
    // A round trip of the display values a text-only system shows and sends back.
    const { updateParticipant } = await tenant.ok(UPDATE, { id: p.id, cf: [{ key: "diets", value: ["veg", "gf"] }] });
    const shown = updateParticipant.customFields.find((f: { key: string }) => f.key === "diets").displayValue;
    expect((await values([{ key: "diets", value: shown }])).diets).toEqual(["veg", "gf"]);
    // "veg" is one option's value and, in another case, another's label: its value wins; "Veg" matches both.
    expect((await values([{ key: "diet", value: "veg" }])).diet).toBe("veg");
    const ambiguous = await write([{ key: "diet", value: "Veg" }]);
    expect(codes(ambiguous)).toEqual(["BAD_USER_INPUT"]);
    expect(ambiguous.errors![0]!.message).toMatch(/more than one option/);
  });

  it("required fields must be given at enrolment and cannot be cleared", async () => {
    const program = await createProgram(tenant, [{ key: "badge", type: "TEXT", required: true }]);
    const missing = await tenant.gql(`mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`, {
      input: { programKey: program.key, person: { firstName: "R" } },
    });
    expect(codes(missing)).toEqual(["BAD_USER_INPUT"]);
    const p = await enroll(tenant, program.key, { customFields: [{ key: "badge", value: "B-1" }] });
    expect(codes(await tenant.gql(UPDATE, { id: p.id, cf: [{ key: "badge", value: null }] }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("custom field definitions", () => {
  const DEFINE = `mutation($programId: ID!, $input: CustomFieldInput!) { defineCustomField(programId: $programId, input: $input) { id key type options { value } } }`;
  const CHANGE = `mutation($id: ID!, $input: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $input) { key type archived label options { value label } } }`;

  it("validate key, options and uniqueness", async () => {
    const program = await createProgram(tenant, [{ key: "taken", type: "TEXT" }]);
    const cases: [Record<string, unknown>, string][] = [
      [{ key: "1bad", label: "x", type: "TEXT" }, "BAD_USER_INPUT"],
      [{ key: "sel", label: "x", type: "SELECT" }, "BAD_USER_INPUT"],
      [{ key: "sel", label: "x", type: "SELECT", options: [{ value: "a", label: "A" }, { value: "a", label: "B" }] }, "BAD_USER_INPUT"],
      [{ key: "txt", label: "x", type: "TEXT", options: [{ value: "a", label: "A" }] }, "BAD_USER_INPUT"],
      [{ key: "taken", label: "x", type: "TEXT" }, "CONFLICT"],
    ];
    for (const [input, code] of cases) {
      expect(codes(await tenant.gql(DEFINE, { programId: program.id, input })), JSON.stringify(input)).toEqual([code]);
    }
    expect(codes(await tenant.gql(DEFINE, { programId: "00000000-0000-4000-8000-000000000000", input: { key: "k", label: "k", type: "TEXT" } }))).toEqual(["NOT_FOUND"]);
  });

  it("archiving hides a field without losing its values", async () => {
    const program = await createProgram(tenant, [{ key: "keep", type: "TEXT" }, { key: "old", type: "TEXT" }]);
    const p = await enroll(tenant, program.key, { customFields: [{ key: "old", value: "kept" }] });
    await tenant.ok(CHANGE, { id: program.fieldIds.old, input: { archived: true } });
    const hidden = await tenant.ok(`query($id: ID!) { participant(id: $id) { customFields { key } program { customFields { key } all: customFields(includeArchived: true) { key archived } } } }`, { id: p.id });
    expect(hidden.participant.customFields).toEqual([{ key: "keep" }]);
    expect(hidden.participant.program.customFields).toEqual([{ key: "keep" }]);
    expect(hidden.participant.program.all).toEqual([{ key: "keep", archived: false }, { key: "old", archived: true }]);
    expect(codes(await tenant.gql(UPDATE, { id: p.id, cf: [{ key: "old", value: "x" }] }))).toEqual(["BAD_USER_INPUT"]);
    await tenant.ok(CHANGE, { id: program.fieldIds.old, input: { archived: false } });
    const back = await tenant.ok(`query($id: ID!) { participant(id: $id) { customField(key: "old") { value } } }`, { id: p.id });
    expect(back.participant.customField.value).toBe("kept");
  });

  it("changing the type converts stored values, or is refused when one would not fit", async () => {
    const program = await createProgram(tenant, [{ key: "score", type: "TEXT" }]);
    const a = await enroll(tenant, program.key, { customFields: [{ key: "score", value: "42" }] });
    const b = await enroll(tenant, program.key, { customFields: [{ key: "score", value: "7.5" }] });
    const changed = await tenant.ok(CHANGE, { id: program.fieldIds.score, input: { type: "NUMBER" } });
    expect(changed.updateCustomField.type).toBe("NUMBER");
    const read = async (id: string) => (await tenant.ok(`query($id: ID!) { participant(id: $id) { customField(key: "score") { value } } }`, { id })).participant.customField.value;
    expect([await read(a.id), await read(b.id)]).toEqual([42, 7.5]);

    await enroll(tenant, program.key, { customFields: [{ key: "score", value: 3 }] });
    const refused = await tenant.gql(CHANGE, { id: program.fieldIds.score, input: { type: "BOOLEAN" } });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(refused.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "type"]);
    expect(await read(a.id)).toBe(42);
  });

  it("removing an option that stored values use is refused; relabelling shows at once", async () => {
    const program = await createProgram(tenant, [{ key: "size", type: "SELECT", options: [{ value: "s", label: "Small" }, { value: "l", label: "Large" }] }]);
    const p = await enroll(tenant, program.key, { customFields: [{ key: "size", value: "l" }] });
    expect(codes(await tenant.gql(CHANGE, { id: program.fieldIds.size, input: { options: [{ value: "s", label: "Small" }] } }))).toEqual(["BAD_USER_INPUT"]);
    await tenant.ok(CHANGE, { id: program.fieldIds.size, input: { options: [{ value: "s", label: "Small" }, { value: "l", label: "Big" }] } });
    const read = await tenant.ok(`query($id: ID!) { participant(id: $id) { customField(key: "size") { value displayValue } } }`, { id: p.id });
    expect(read.participant.customField).toEqual({ value: "l", displayValue: "Big" });
  });

  it("a SELECT field turned MULTI_SELECT wraps each value in a list", async () => {
    const program = await createProgram(tenant, [{ key: "pick", type: "SELECT", options: COLOURS }]);
    const p = await enroll(tenant, program.key, { customFields: [{ key: "pick", value: "r" }] });
    await tenant.ok(CHANGE, { id: program.fieldIds.pick, input: { type: "MULTI_SELECT" } });
    const read = await tenant.ok(`query($id: ID!) { participant(id: $id) { customField(key: "pick") { value displayValue } } }`, { id: p.id });
    expect(read.participant.customField).toEqual({ value: ["r"], displayValue: "Red" });
  });
});
