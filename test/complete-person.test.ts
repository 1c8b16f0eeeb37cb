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
