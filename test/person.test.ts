import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll, unique } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Persons");
});
afterAll(() => h.close());

const PERSON = `id externalId email phone firstName lastName displayName avatarUrl timezone locale type title company
  location { countryCode city latitude longitude } status statusReason tags version attributes lastSeenAt`;

const personCount = () => h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } });

describe("createPerson", () => {
  it("stores a full profile, normalising tags and locale", async () => {
    const externalId = unique("ext");
    const { createPerson: p } = await tenant.ok(`mutation($input: CreatePersonInput!) { createPerson(input: $input) { ${PERSON} } }`, {
      input: {
        externalId,
        email: "Mia@Example.com",
        firstName: "Mia",
        lastName: "Wong",
        timezone: "Europe/Paris",
        locale: "en-gb",
        type: "LEAD",
        location: { countryCode: "fr", city: "Lyon", latitude: 45.76, longitude: 4.83 },
        tags: [" VIP ", "vip", "Speaker"],
        attributes: { plan: "pro", seats: 3 },
      },
    });
    expect(p).toMatchObject({
      externalId,
      email: "Mia@Example.com",
      locale: "en-GB",
      type: "LEAD",
      location: { countryCode: "FR", city: "Lyon", latitude: 45.76, longitude: 4.83 },
      status: "ACTIVE",
      tags: ["speaker", "vip"],
      version: 1,
      attributes: { plan: "pro", seats: 3 },
    });
  });

  it("rejects every invalid field at once, with its path, and writes nothing", async () => {
    const before = await personCount();
    const response = await tenant.gql(`mutation($input: CreatePersonInput!) { createPerson(input: $input) { id } }`, {
      input: {
        email: "not an address",
        timezone: "Mars/Olympus",
        locale: "!!",
        avatarUrl: "ftp://x",
        location: { countryCode: "XX", latitude: 91 },
        tags: ["", "x".repeat(65)],
        firstName: "x".repeat(256),
      },
    });
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    const paths = response.errors![0]!.extensions.fieldErrors.map((e: { path: string[] }) => e.path.join("."));
    expect(paths.sort()).toEqual(
      [
        "input.avatarUrl",
        "input.email",
        "input.firstName",
        "input.locale",
        "input.location.countryCode",
        "input.location.latitude",
        "input.tags.0",
        "input.tags.1",
        "input.timezone",
      ].sort(),
    );
    expect(await personCount()).toBe(before);
  });

  it("refuses a duplicate externalId with CONFLICT", async () => {
    const externalId = unique("dup");
    await createPerson(tenant, { externalId });
    const response = await tenant.gql(`mutation { createPerson(input: { externalId: "${externalId}" }) { id } }`);
    expect(codes(response)).toEqual(["CONFLICT"]);
  });
});

describe("updatePerson", () => {
  it("changes only the fields sent; an empty string clears; version increments", async () => {
    const person = await createPerson(tenant, { email: "a@example.com", phone: "123", title: "CTO" });
    const { updatePerson } = await tenant.ok(
      `mutation($id: ID!) { updatePerson(id: $id, input: { phone: "", company: "Acme", location: { city: "Oslo" } }) { ${PERSON} } }`,
      { id: person.id },
    );
    expect(updatePerson).toMatchObject({ email: "a@example.com", phone: null, title: "CTO", company: "Acme", version: 2 });
    const { updatePerson: again } = await tenant.ok(
      `mutation($id: ID!) { updatePerson(id: $id, input: { location: { countryCode: "NO" } }) { ${PERSON} } }`,
      { id: person.id },
    );
    expect(again.location).toMatchObject({ city: "Oslo", countryCode: "NO" });
    expect(again.version).toBe(3);
  });

  it("with a stale expectedVersion is CONFLICT and changes nothing", async () => {
    const person = await createPerson(tenant, { company: "Before" });
    const stale = await tenant.gql(
      `mutation($id: ID!) { updatePerson(id: $id, expectedVersion: 7, input: { company: "After" }) { id } }`,
      { id: person.id },
    );
    expect(codes(stale)).toEqual(["CONFLICT"]);
    const fresh = await tenant.ok(
      `mutation($id: ID!) { updatePerson(id: $id, expectedVersion: 1, input: { lastSeenAt: "2026-01-15T10:30:00.000Z" }) { company version lastSeenAt } }`,
      { id: person.id },
    );
    expect(fresh.updatePerson).toEqual({ company: "Before", version: 2, lastSeenAt: "2026-01-15T10:30:00.000Z" });
  });

  it("merges attributes into the default bucket; null removes a key", async () => {
    const person = await createPerson(tenant, { attributes: { a: 1, b: 2 } });
    const { updatePerson } = await tenant.ok(
      `mutation($id: ID!) { updatePerson(id: $id, input: { attributes: { b: null, c: { nested: [1, 2] } } }) { attributes } }`,
      { id: person.id },
    );
    expect(updatePerson.attributes).toEqual({ a: 1, c: { nested: [1, 2] } });
  });

  it("on an unknown or malformed id is NOT_FOUND", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      const response = await tenant.gql(`mutation($id: ID!) { updatePerson(id: $id, input: { company: "x" }) { id } }`, { id });
      expect(codes(response)).toEqual(["NOT_FOUND"]);
    }
  });
});

describe("upsertPerson", () => {
  it("creates the person with that external id, then updates the same one", async () => {
    const externalId = unique("ups");
    const first = await tenant.ok(`mutation($e: String!) { upsertPerson(externalId: $e, input: { firstName: "One" }) { id firstName version } }`, { e: externalId });
    const second = await tenant.ok(`mutation($e: String!) { upsertPerson(externalId: $e, input: { lastName: "Two" }) { id firstName lastName version } }`, { e: externalId });
    expect(second.upsertPerson).toEqual({ id: first.upsertPerson.id, firstName: "One", lastName: "Two", version: 2 });
  });

  it("under concurrency creates exactly one person", async () => {
    const externalId = unique("race");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        tenant.gql(`mutation($e: String!, $n: String) { upsertPerson(externalId: $e, input: { title: $n }) { id } }`, { e: externalId, n: `t${i}` }),
      ),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(new Set(results.map((r) => r.data!.upsertPerson.id)).size).toBe(1);
    expect(await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId, externalId } })).toBe(1);
  });
});

describe("person look-ups", () => {
  it("finds by id, externalId and email (case-insensitively)", async () => {
    const externalId = unique("look");
    const email = `${unique("mail")}@Example.org`;
    const person = await createPerson(tenant, { externalId, email });
    for (const args of [`id: "${person.id}"`, `externalId: "${externalId}"`, `email: "${email.toUpperCase()}"`]) {
      const { person: found } = await tenant.ok(`{ person(${args}) { id } }`);
      expect(found).toEqual({ id: person.id });
    }
  });

  it("takes exactly one argument", async () => {
    expect(codes(await tenant.gql(`{ person { id } }`))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(`{ person(id: "x", email: "a@b.co") { id } }`))).toEqual(["BAD_USER_INPUT"]);
  });

  it("answers null for an unknown id and for another workspace's person", async () => {
    const other = await h.workspace("Other");
    const theirs = await createPerson(other);
    const response = await tenant.gql(`query($id: ID!) { person(id: $id) { id } }`, { id: theirs.id });
    expect(response.errors).toBeUndefined();
    expect(response.data!.person).toBeNull();
    expect(codes(await tenant.gql(`mutation($id: ID!) { deletePerson(id: $id) { deletedId } }`, { id: theirs.id }))).toEqual(["NOT_FOUND"]);
    expect((await other.ok(`query($id: ID!) { person(id: $id) { id } }`, { id: theirs.id })).person).toEqual({ id: theirs.id });
  });
});

describe("setPersonStatus", () => {
  it("is the way to change status, keeping the reason and the time", async () => {
    const person = await createPerson(tenant);
    const { setPersonStatus } = await tenant.ok(
      `mutation($id: ID!) { setPersonStatus(id: $id, status: SUSPENDED, reason: "Chargeback") { status statusReason version } }`,
      { id: person.id },
    );
    expect(setPersonStatus).toEqual({ status: "SUSPENDED", statusReason: "Chargeback", version: 2 });
    const row = await h.db.prisma.person.findUniqueOrThrow({ where: { id: person.id } });
    expect(row.statusChangedAt).toBeInstanceOf(Date);
    const noStatusField = await tenant.gql(`mutation($id: ID!) { updatePerson(id: $id, input: { status: CLOSED }) { id } }`, { id: person.id });
    expect(noStatusField.errors?.length).toBeGreaterThan(0);
    expect(noStatusField.status).toBe(400);
  });
});

describe("deletePerson", () => {
  it("removes the person and every dependent row", async () => {
    const program = await createProgram(tenant, [{ key: "note", type: "TEXT" }]);
    const participant = await enroll(tenant, program.key, { customFields: [{ key: "note", value: "hello" }] });
    const personId = participant.person.id;
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, attributes: { k: 1 }) { id } }`, { id: personId });
    await tenant.ok(
      `mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "visits", amount: "1", idempotencyKey: "${unique("k")}" }) { id } }`,
      { id: participant.id },
    );
    const p = h.db.prisma;
    const counts = () =>
      Promise.all([
        p.person.count({ where: { id: personId } }),
        p.participant.count({ where: { personId } }),
        p.personAttribute.count({ where: { personId } }),
        p.customFieldValue.count({ where: { participantId: participant.id } }),
        p.ledgerEntry.count({ where: { participantId: participant.id } }),
        p.ledgerTotal.count({ where: { participantId: participant.id } }),
      ]);
    expect(await counts()).toEqual([1, 1, 1, 1, 1, 1]);
    const { deletePerson } = await tenant.ok(`mutation($id: ID!) { deletePerson(id: $id) { deletedId } }`, { id: personId });
    expect(deletePerson.deletedId).toBe(personId);
    expect(await counts()).toEqual([0, 0, 0, 0, 0, 0]);
    expect(codes(await tenant.gql(`mutation($id: ID!) { deletePerson(id: $id) { deletedId } }`, { id: personId }))).toEqual(["NOT_FOUND"]);
  });
});
