import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll, PARTICIPANT_FIELDS, unique } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
let program: Awaited<ReturnType<typeof createProgram>>;

const FIELDS = [
  { key: "shirt", type: "SELECT", options: [{ value: "m", label: "Medium" }, { value: "l", label: "Large" }] },
  { key: "age", type: "NUMBER" },
  { key: "note", type: "TEXT" },
];

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Participants");
  program = await createProgram(tenant, FIELDS);
});
afterAll(() => h.close());

const UPDATE = `mutation($id: ID!, $input: UpdateParticipantInput!, $v: Int) {
  updateParticipant(id: $id, input: $input, expectedVersion: $v) { ${PARTICIPANT_FIELDS} } }`;

describe("enrollParticipant", () => {
  it("creates a person, numbers participants 1, 2, 3 … per program, and validates custom values", async () => {
    const own = await createProgram(tenant, FIELDS);
    const first = await enroll(tenant, own.key, { externalId: "A-1", customFields: [{ key: "age", value: 31 }] });
    const second = await enroll(tenant, own.key);
    expect([first.serialNumber, second.serialNumber]).toEqual([1, 2]);
    expect(first.externalId).toBe("A-1");
    expect(first.customFields.find((f: { key: string }) => f.key === "age")).toMatchObject({ value: 31, displayValue: "31" });

    const bad = await tenant.gql(`mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`, {
      input: { programKey: own.key, person: { firstName: "X" }, customFields: [{ key: "age", value: "old" }, { key: "nope", value: 1 }] },
    });
    expect(codes(bad)).toEqual(["BAD_USER_INPUT"]);
    expect(bad.errors![0]!.extensions.fieldErrors.map((e: { path: string[] }) => e.path)).toEqual([
      ["input", "customFields", "age"],
      ["input", "customFields", "nope"],
    ]);
    expect(await h.db.prisma.participant.count({ where: { programId: own.id } })).toBe(2);
  });

  it("enrols an existing person by id or by matching externalId, applying the profile given; twice is CONFLICT", async () => {
    const externalId = unique("crm");
    const person = await createPerson(tenant, { externalId, firstName: "Old" });
    const byExternal = await enroll(tenant, program.key, { person: { externalId, firstName: "New" } });
    expect(byExternal.person).toMatchObject({ id: person.id, firstName: "New" });
    expect(byExternal.firstName).toBe("New");

    const other = await createProgram(tenant);
    const byId = await enroll(tenant, other.key, { person: undefined, personId: person.id });
    expect(byId.person.id).toBe(person.id);

    const twice = await tenant.gql(`mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`, {
      input: { programKey: other.key, personId: person.id },
    });
    expect(codes(twice)).toEqual(["CONFLICT"]);
  });

  it("takes exactly one of personId and person", async () => {
    const person = await createPerson(tenant);
    for (const input of [{ programKey: program.key }, { programKey: program.key, personId: person.id, person: { firstName: "x" } }]) {
      const response = await tenant.gql(`mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`, { input });
      expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    }
  });

  it("gives 50 concurrent enrolments 50 distinct serial numbers", async () => {
    const own = await createProgram(tenant);
    const results = await Promise.all(Array.from({ length: 50 }, () => tenant.gql(
      `mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { serialNumber } }`,
      { input: { programKey: own.key, person: { lastName: unique("c") } } },
    )));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const serials = results.map((r) => r.data!.enrollParticipant.serialNumber as number);
    expect(new Set(serials).size).toBe(50);
    expect(Math.min(...serials)).toBeGreaterThanOrEqual(1);
  });

  it("never reuses a serial number after a delete", async () => {
    const own = await createProgram(tenant);
    const a = await enroll(tenant, own.key);
    const b = await enroll(tenant, own.key);
    await tenant.ok(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: b.id });
    const c = await enroll(tenant, own.key);
    expect([a.serialNumber, b.serialNumber, c.serialNumber]).toEqual([1, 2, 3]);
  });
});

describe("updateParticipant", () => {
  it("changes only what is sent: clears with \"\", writes the profile through to the person, merges attributes, replaces tags, upserts custom values", async () => {
    const p = await enroll(tenant, program.key, {
      person: { firstName: "Ann", lastName: "Lee", email: "ann@example.com", phone: "555" },
      tags: ["old"],
      attributes: { keep: 1, drop: 2 },
      customFields: [{ key: "shirt", value: "m" }, { key: "note", value: "first" }],
    });
    const { updateParticipant: u } = await tenant.ok(UPDATE, {
      id: p.id,
      input: {
        phone: "",
        displayName: "Annie",
        attributes: { drop: null, add: { x: true } },
        tags: [" New ", "new", "VIP"],
        customFields: [{ key: "shirt", value: "l" }, { key: "note", value: null }, { key: "age", value: 40 }],
      },
    });
    expect(u).toMatchObject({
      firstName: "Ann",
      email: "ann@example.com",
      phone: null,
      displayName: "Annie",
      tags: ["new", "vip"],
      attributes: { keep: 1, add: { x: true } },
      version: 2,
    });
    expect(u.person).toMatchObject({ id: p.person.id, phone: null, displayName: "Annie", version: p.person.version + 1 });
    const values = Object.fromEntries(u.customFields.map((f: { key: string; value: unknown; displayValue: unknown }) => [f.key, [f.value, f.displayValue]]));
    expect(values).toEqual({ shirt: ["l", "Large"], age: [40, "40"], note: [null, null] });
  });

  it("writes nothing at all when one custom value is invalid", async () => {
    const p = await enroll(tenant, program.key, { tags: ["before"], customFields: [{ key: "age", value: 1 }] });
    const response = await tenant.gql(UPDATE, {
      id: p.id,
      input: { firstName: "Changed", tags: ["after"], attributes: { a: 1 }, customFields: [{ key: "note", value: "ok" }, { key: "shirt", value: "xxl" }] },
    });
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(response.errors![0]!.extensions.fieldErrors).toEqual([{ path: ["input", "customFields", "shirt"], message: expect.any(String) }]);
    const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { ${PARTICIPANT_FIELDS} } }`, { id: p.id });
    expect(participant).toMatchObject({ firstName: "Test", tags: ["before"], attributes: {}, version: 1 });
    expect(participant.customFields.filter((f: { value: unknown }) => f.value !== null)).toEqual([
      expect.objectContaining({ key: "age", value: 1 }),
    ]);
  });

  it("with a stale expectedVersion is CONFLICT and writes nothing", async () => {
    const p = await enroll(tenant, program.key);
    await tenant.ok(UPDATE, { id: p.id, input: { tags: ["v2"] }, v: 1 });
    const stale = await tenant.gql(UPDATE, { id: p.id, input: { tags: ["v3"], firstName: "Nope" }, v: 1 });
    expect(codes(stale)).toEqual(["CONFLICT"]);
    const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { tags version firstName } }`, { id: p.id });
    expect(participant).toEqual({ tags: ["v2"], version: 2, firstName: "Test" });
  });

  it("has no status field, and null on a non-nullable concept is BAD_USER_INPUT", async () => {
    const p = await enroll(tenant, program.key);
    const withStatus = await tenant.gql(`mutation($id: ID!) { updateParticipant(id: $id, input: { status: CLOSED }) { id } }`, { id: p.id });
    expect(withStatus.status).toBe(400);
    for (const input of [{ tags: null }, { attributes: null }]) {
      expect(codes(await tenant.gql(UPDATE, { id: p.id, input }))).toEqual(["BAD_USER_INPUT"]);
    }
  });

  it("keeps all custom values written by 50 concurrent updates of different fields", async () => {
    const fields = Array.from({ length: 50 }, (_, i) => ({ key: `f${i}`, type: "NUMBER" }));
    const own = await createProgram(tenant, fields);
    const p = await enroll(tenant, own.key);
    const results = await Promise.all(fields.map((f, i) => tenant.gql(UPDATE, { id: p.id, input: { customFields: [{ key: f.key, value: i }] } })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { version customFields { key value } } }`, { id: p.id });
    expect(participant.customFields).toEqual(fields.map((f, i) => ({ key: f.key, value: i })));
    expect(participant.version).toBe(51);
  });

  it("refuses another participant's externalId in the program with CONFLICT", async () => {
    const a = await enroll(tenant, program.key, { externalId: unique("x") });
    const b = await enroll(tenant, program.key);
    expect(codes(await tenant.gql(UPDATE, { id: b.id, input: { externalId: a.externalId } }))).toEqual(["CONFLICT"]);
  });
});

describe("setParticipantStatus", () => {
  it("changes status with a reason and a time", async () => {
    const p = await enroll(tenant, program.key);
    const { setParticipantStatus: s } = await tenant.ok(
      `mutation($id: ID!) { setParticipantStatus(id: $id, status: CLOSED, reason: "Left") { status statusReason statusChangedAt version } }`,
      { id: p.id },
    );
    expect(s).toMatchObject({ status: "CLOSED", statusReason: "Left", version: 2 });
    expect(Date.parse(s.statusChangedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("participant look-ups", () => {
  it("read the same participant, to the millisecond, as the write that made it, by every path", async () => {
    const externalId = unique("same");
    const written = await enroll(tenant, program.key, {
      externalId,
      tags: ["x"],
      attributes: { a: 1 },
      customFields: [{ key: "shirt", value: "l" }, { key: "age", value: 41 }],
    });
    const { setParticipantStatus: closed } = await tenant.ok(
      `mutation($id: ID!) { setParticipantStatus(id: $id, status: SUSPENDED, reason: "Paused") { ${PARTICIPANT_FIELDS} } }`,
      { id: written.id },
    );
    const reads = await tenant.ok(
      `query($id: ID!, $key: String!, $serial: Int!, $ext: String!, $rep: [_Any!]!) {
        byId: participant(id: $id) { ${PARTICIPANT_FIELDS} }
        bySerial: participant(programKey: $key, serialNumber: $serial) { ${PARTICIPANT_FIELDS} }
        byExternalId: participant(programKey: $key, externalId: $ext) { ${PARTICIPANT_FIELDS} }
        list: participants(programKey: $key, first: 1, filter: { externalId: $ext }) { edges { node { ${PARTICIPANT_FIELDS} } } }
        node(id: $id) { ... on Participant { ${PARTICIPANT_FIELDS} } }
        _entities(representations: $rep) { ... on Participant { ${PARTICIPANT_FIELDS} } }
        person(id: "${written.person.id}") { participants { edges { node { ${PARTICIPANT_FIELDS} } } } } }`,
      { id: written.id, key: program.key, serial: written.serialNumber, ext: externalId, rep: [{ __typename: "Participant", id: written.id }] },
    );
    expect(closed.statusChangedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    for (const read of [reads.byId, reads.bySerial, reads.byExternalId, reads.list.edges[0].node, reads.node, reads._entities[0], reads.person.participants.edges[0].node]) {
      expect(read).toEqual(closed);
    }
    expect(closed.customFields.find((f: { key: string }) => f.key === "shirt")).toMatchObject({ value: "l", displayValue: "Large" });
  });

  it("finds by id, by programKey + serialNumber and by programKey + externalId", async () => {
    const externalId = unique("p");
    const p = await enroll(tenant, program.key, { externalId });
    for (const args of [`id: "${p.id}"`, `programKey: "${program.key}", serialNumber: ${p.serialNumber}`, `programKey: "${program.key}", externalId: "${externalId}"`]) {
      expect((await tenant.ok(`{ participant(${args}) { id } }`)).participant).toEqual({ id: p.id });
    }
    const { node, person } = await tenant.ok(`query($id: ID!, $personId: ID!) {
      node(id: $id) { __typename ... on Participant { serialNumber } }
      person: node(id: $personId) { __typename id } }`, { id: p.id, personId: p.person.id });
    expect(node).toEqual({ __typename: "Participant", serialNumber: p.serialNumber });
    expect(person).toEqual({ __typename: "Person", id: p.person.id });
  });

  it("refuses any other combination of arguments", async () => {
    for (const args of ["", `programKey: "${program.key}"`, `serialNumber: 1`, `id: "x", programKey: "y", serialNumber: 1`, `programKey: "a", serialNumber: 1, externalId: "b"`]) {
      const query = args ? `{ participant(${args}) { id } }` : `{ participant { id } }`;
      expect(codes(await tenant.gql(query))).toEqual(["BAD_USER_INPUT"]);
    }
  });

  it("answers null for unknown or foreign participants, and NOT_FOUND when mutating them", async () => {
    const other = await h.workspace("Other");
    const theirProgram = await createProgram(other, [], program.key);
    const theirs = await enroll(other, theirProgram.key, { externalId: "same" });
    expect((await tenant.ok(`query($id: ID!) { participant(id: $id) { id } }`, { id: theirs.id })).participant).toBeNull();
    expect((await tenant.ok(`{ participant(programKey: "${program.key}", externalId: "same") { id } }`)).participant).toBeNull();
    for (const mutation of [
      `mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["x"] }) { id } }`,
      `mutation($id: ID!) { setParticipantStatus(id: $id, status: CLOSED) { id } }`,
      `mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`,
    ]) {
      expect(codes(await tenant.gql(mutation, { id: theirs.id }))).toEqual(["NOT_FOUND"]);
    }
    expect((await other.ok(`query($id: ID!) { participant(id: $id) { tags status } }`, { id: theirs.id })).participant).toEqual({ tags: [], status: "ACTIVE" });
  });
});

describe("deleteParticipant", () => {
  it("removes its custom values and ledger, and keeps the person", async () => {
    const p = await enroll(tenant, program.key, { customFields: [{ key: "note", value: "x" }] });
    await tenant.ok(
      `mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: BOOKING, asset: "EUR", amount: "10", idempotencyKey: "${unique("k")}" }) { id } }`,
      { id: p.id },
    );
    await tenant.ok(`mutation($id: ID!) { setTier(participantId: $id, tierType: "loyalty", level: "Gold", rank: 3) { id } }`, { id: p.id });
    const db = h.db.prisma;
    const counts = () =>
      Promise.all([
        db.participant.count({ where: { id: p.id } }),
        db.customFieldValue.count({ where: { participantId: p.id } }),
        db.ledgerEntry.count({ where: { participantId: p.id } }),
        db.ledgerTotal.count({ where: { participantId: p.id } }),
        db.participantTier.count({ where: { participantId: p.id } }),
      ]);
    expect(await counts()).toEqual([1, 1, 2, 1, 1]);
    await tenant.ok(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: p.id });
    expect(await counts()).toEqual([0, 0, 0, 0, 0]);
    expect(await db.person.count({ where: { id: p.person.id } })).toBe(1);
  });
});
