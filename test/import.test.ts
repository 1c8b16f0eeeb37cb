import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, unique } from "./support/fixtures.js";

// SPEC §11: bulk upsert by external id, each row standing alone, re-imports writing nothing.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const RESULT = `created updated unchanged failed rows { index status id errors { path message } }`;
const IMPORT_PEOPLE = `mutation($rows: [CreatePersonInput!]!, $dryRun: Boolean) { importPeople(rows: $rows, dryRun: $dryRun) { ${RESULT} } }`;
const IMPORT_PARTICIPANTS = `mutation($programKey: String!, $rows: [ImportParticipantRow!]!, $dryRun: Boolean) {
  importParticipants(programKey: $programKey, rows: $rows, dryRun: $dryRun) { ${RESULT} } }`;

async function people(tenant: Tenant, rows: unknown[], dryRun = false) {
  return (await tenant.ok(IMPORT_PEOPLE, { rows, dryRun })).importPeople;
}
async function participants(tenant: Tenant, programKey: string, rows: unknown[], dryRun = false) {
  return (await tenant.ok(IMPORT_PARTICIPANTS, { programKey, rows, dryRun })).importParticipants;
}

const PERSON = `id externalId email firstName version tags attributes consent { emailOptIn } identities { system id } customFields { key value }
  location { city countryCode } changes(first: 50) { totalCount edges { node { operation source fields { path } } } }`;
async function personByExternalId(tenant: Tenant, externalId: string) {
  return (await tenant.ok(`query($e: String!) { person(externalId: $e) { ${PERSON} } }`, { e: externalId })).person;
}
/**
 * How many changes the feed shows, once it has caught up: the feed hides the newest changes for
 * the moment that any writer on the server (other tests' too) holds its horizon back.
 */
async function changeCount(tenant: Tenant) {
  const count = async () => (await tenant.ok(`{ changes(first: 1) { totalCount } }`)).changes.totalCount as number;
  let last = await count();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await count();
    if (now === last) return now;
    last = now;
  }
  return last;
}

describe("importPeople", () => {
  it("writes the good rows and fails each bad one alone, with field paths; a re-import is all UNCHANGED and writes nothing", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { definePersonField(input: { key: "shoe", label: "Shoe size", type: NUMBER }) { id } }`);
    const [a, b, c] = [unique("ext"), unique("ext"), unique("ext")];
    const rows = [
      { externalId: a, email: "a@example.com", firstName: "Ada", tags: ["vip", "beta"], attributes: { plan: "pro", seats: 3 }, customFields: [{ key: "shoe", value: 42 }], consent: { emailOptIn: true }, identities: [{ system: "crm", id: `crm-${a}` }], location: { city: "Oslo", countryCode: "NOR" } },
      { externalId: b, email: "not an email", firstName: "Bad" },
      { email: "nokey@example.com" },
      { externalId: c, firstName: "Cleo", customFields: [{ key: "nope", value: 1 }] },
      { externalId: unique("ext"), firstName: "Dan", lastSeenAt: "2026-01-02T03:04:05.000Z" },
      { externalId: a, firstName: "Twice" },
    ];
    const first = await people(tenant, rows);
        expect(first).toMatchObject({ created: 2, updated: 0, unchanged: 0, failed: 4 });
    expect(first.rows.map((r: any) => r.status)).toEqual(["CREATED", "FAILED", "FAILED", "FAILED", "CREATED", "FAILED"]);
    expect(first.rows[1].errors).toEqual([{ path: ["rows", "1", "email"], message: expect.any(String) }]);
    expect(first.rows[2].errors.map((e: any) => e.path)).toEqual([["rows", "2", "externalId"]]);
    expect(first.rows[3].errors.map((e: any) => e.path)).toEqual([["rows", "3", "customFields", "nope"]]);
    expect(first.rows[5].errors[0]).toMatchObject({ path: ["rows", "5", "externalId"], message: expect.stringContaining("Row 0") });
    expect(first.rows[1].id).toBeNull();
    // The failed rows wrote nothing.
    expect(await personByExternalId(tenant, b)).toBeNull();
    expect(await personByExternalId(tenant, c)).toBeNull();

    const ada = await personByExternalId(tenant, a);
    expect(ada).toMatchObject({
      id: first.rows[0].id, email: "a@example.com", firstName: "Ada", version: 1, tags: ["beta", "vip"], attributes: { plan: "pro", seats: 3 },
      consent: { emailOptIn: true }, identities: [{ system: "crm", id: `crm-${a}` }], customFields: [{ key: "shoe", value: 42 }], location: { city: "Oslo", countryCode: "NO" },
    });
    // One change, CREATED, with every part in it, recorded as the import's.
    expect(ada.changes.totalCount).toBe(1);
    expect(ada.changes.edges[0].node).toMatchObject({ operation: "CREATED", source: "import" });
    expect(ada.changes.edges[0].node.fields.map((f: any) => f.path.join("."))).toEqual(expect.arrayContaining(["attributes.default.plan", "customFields.shoe", "identities.crm", "email"]));

    const changesBefore = await changeCount(tenant);
    const again = await people(tenant, [rows[0], rows[4]]);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(again.rows.map((r: any) => r.id)).toEqual([first.rows[0].id, first.rows[4].id]);
    expect((await personByExternalId(tenant, a)).version).toBe(1);
    expect(await changeCount(tenant)).toBe(changesBefore);
  });

  it("updates only what differs: one changed value is one change and one version", async () => {
    const tenant = await h.workspace();
    const key = unique("ext");
    await people(tenant, [{ externalId: key, firstName: "Eve", attributes: { a: 1, b: 2 }, tags: ["x"] }]);
    const result = await people(tenant, [{ externalId: key, firstName: "Eve", attributes: { a: 1, b: 3 }, tags: ["x"] }]);
    expect(result).toMatchObject({ updated: 1, unchanged: 0 });
    const eve = await personByExternalId(tenant, key);
    expect(eve.version).toBe(2);
    expect(eve.attributes).toEqual({ a: 1, b: 3 });
    expect(eve.changes.edges[0].node).toMatchObject({ operation: "UPDATED", source: "import", fields: [{ path: ["attributes", "default", "b"] }] });
  });

  it("dryRun validates and compares but writes nothing", async () => {
    const tenant = await h.workspace();
    const existing = await createPerson(tenant, { externalId: unique("ext"), firstName: "Old" });
    const fresh = unique("ext");
    const result = await people(tenant, [{ externalId: existing.externalId, firstName: "New" }, { externalId: fresh }, { externalId: unique("ext"), email: "x" }], true);
    expect(result).toMatchObject({ created: 1, updated: 1, failed: 1 });
    expect(result.rows[0].id).toBe(existing.id);
    expect(await personByExternalId(tenant, fresh)).toBeNull();
    expect((await personByExternalId(tenant, existing.externalId)).firstName).toBe("Old");
  });

  it("fails only the row the database refuses: an id another person holds in the same system", async () => {
    const tenant = await h.workspace();
    const holder = await createPerson(tenant, { externalId: unique("ext"), identities: [{ system: "crm", id: "taken" }] });
    const [ok1, bad, ok2] = [unique("ext"), unique("ext"), unique("ext")];
    const result = await people(tenant, [{ externalId: ok1 }, { externalId: bad, identities: [{ system: "crm", id: "taken" }] }, { externalId: ok2 }]);
    expect(result.rows.map((r: any) => r.status)).toEqual(["CREATED", "FAILED", "CREATED"]);
    expect(result.rows[1].errors[0]).toMatchObject({ path: ["rows", "1"], message: expect.stringMatching(/already exists/) });
    expect(await personByExternalId(tenant, bad)).toBeNull();
    expect(await personByExternalId(tenant, ok2)).not.toBeNull();
    expect((await personByExternalId(tenant, holder.externalId)).identities).toEqual([{ system: "crm", id: "taken" }]);
  });

  it("writes a call's rows in the same few statements whatever their number", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { definePersonField(input: { key: "shoe", label: "Shoe", type: NUMBER }) { id } }`);
    const rows = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}${i}`, firstName: `F${i}`, attributes: { a: i }, customFields: [{ key: "shoe", value: i }], identities: [{ system: "crm", id: `${prefix}${i}` }] }));
    const small = await tenant.gql(IMPORT_PEOPLE, { rows: rows(5, "s") });
    const large = await tenant.gql(IMPORT_PEOPLE, { rows: rows(500, "l") });
    expect(large.data?.importPeople.created).toBe(500);
    expect(large.statements).toBe(small.statements);
    expect(large.statements).toBeLessThan(20);
    // Updating them is as cheap: one statement per kind of write.
    const updated = await tenant.gql(IMPORT_PEOPLE, { rows: rows(500, "l").map((r) => ({ ...r, firstName: "G", attributes: { a: -1 } })) });
    expect(updated.data?.importPeople.updated).toBe(500);
    expect(updated.statements).toBeLessThan(20);
  });

  it("takes at most 1,000 rows per call and needs the write scope", async () => {
    const tenant = await h.workspace();
    const tooMany = await tenant.gql(IMPORT_PEOPLE, { rows: Array.from({ length: 1001 }, (_, i) => ({ externalId: `x${i}` })) });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    const reader = await tenant.key(["READ"]);
    const refused = await tenant.gql(IMPORT_PEOPLE, { rows: [{ externalId: "r" }] }, reader);
    expect(refused.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    expect(await personByExternalId(tenant, "r")).toBeNull();
  });
});

describe("importParticipants", () => {
  const FIELDS = [
    { key: "tier", type: "SELECT", required: true, options: [{ value: "gold", label: "Gold" }, { value: "silver", label: "Silver" }] },
    { key: "points", type: "NUMBER" },
    { key: "langs", type: "MULTI_SELECT", options: [{ value: "en", label: "English" }, { value: "fr", label: "French" }] },
  ];
  const PARTICIPANT = `id serialNumber externalId status tags attributes version person { id externalId firstName version } customFields { key value }`;
  const participantOf = async (tenant: Tenant, programKey: string, externalId: string) =>
    (await tenant.ok(`query($p: String!, $e: String!) { participant(programKey: $p, externalId: $e) { ${PARTICIPANT} } }`, { p: programKey, e: externalId })).participant;

  it("upserts participants with their persons, fails bad rows alone, and a re-import changes nothing", async () => {
    const tenant = await h.workspace();
    const program = await createProgram(tenant, FIELDS);
    const known = await createPerson(tenant, { externalId: unique("person"), firstName: "Known" });
    const rows = [
      { externalId: "p1", person: { externalId: known.externalId, firstName: "Known" }, tags: ["a"], attributes: { seat: "12A" }, customFields: [{ key: "tier", value: "gold" }, { key: "points", value: 10 }, { key: "langs", value: ["fr", "en"] }] },
      { externalId: "p2", person: { externalId: unique("person"), firstName: "New" }, status: "SUSPENDED", customFields: [{ key: "tier", value: "silver" }] },
      { externalId: "p3", person: { firstName: "NoTier" }, customFields: [{ key: "points", value: 1 }] },
      { externalId: "p4", person: { firstName: "BadValue" }, customFields: [{ key: "tier", value: "bronze" }] },
      { externalId: "p5", person: { externalId: known.externalId }, customFields: [{ key: "tier", value: "gold" }] },
    ];
    const first = await participants(tenant, program.key, rows);
    expect(first.rows.map((r: any) => r.status)).toEqual(["CREATED", "CREATED", "FAILED", "FAILED", "FAILED"]);
    expect(first.rows[2].errors.map((e: any) => e.path)).toEqual([["rows", "2", "customFields", "tier"]]);
    expect(first.rows[3].errors.map((e: any) => e.path)).toEqual([["rows", "3", "customFields", "tier"]]);
    expect(first.rows[4].errors.map((e: any) => e.path)).toEqual([["rows", "4", "person", "externalId"]]);

    const p1 = await participantOf(tenant, program.key, "p1");
    expect(p1).toMatchObject({ id: first.rows[0].id, serialNumber: 1, tags: ["a"], attributes: { seat: "12A" }, version: 1, person: { id: known.id, version: 1 } });
    expect(p1.customFields).toEqual(expect.arrayContaining([{ key: "tier", value: "gold" }, { key: "points", value: 10 }, { key: "langs", value: ["fr", "en"] }]));
    expect(await participantOf(tenant, program.key, "p2")).toMatchObject({ serialNumber: 2, status: "SUSPENDED", person: { firstName: "New" } });
    expect(await participantOf(tenant, program.key, "p3")).toBeNull();

    const changesBefore = await changeCount(tenant);
    const again = await participants(tenant, program.key, rows.slice(0, 2));
    expect(again).toMatchObject({ unchanged: 2, created: 0, updated: 0, failed: 0 });
    expect(await changeCount(tenant)).toBe(changesBefore);

    const update = await participants(tenant, program.key, [{ ...rows[0], person: { externalId: known.externalId, firstName: "Renamed" }, customFields: [{ key: "points", value: 11 }] }]);
    expect(update.rows[0].status).toBe("UPDATED");
    const after = await participantOf(tenant, program.key, "p1");
    expect(after).toMatchObject({ version: 2, person: { firstName: "Renamed", version: 2 } });
    expect(after.customFields).toEqual(expect.arrayContaining([{ key: "points", value: 11 }, { key: "tier", value: "gold" }]));
  });

  it("refuses an unknown program for the whole call", async () => {
    const tenant = await h.workspace();
    const result = await tenant.gql(IMPORT_PARTICIPANTS, { programKey: "nope", rows: [{ externalId: "x", person: {} }] });
    expect(result.errors?.[0]?.extensions.code).toBe("NOT_FOUND");
  });
});

describe("personExport", () => {
  const EXPORT = `query($id: ID, $e: String) { personExport(id: $id, externalId: $e) }`;

  it("holds everything about one person: profile, every bucket, fields, identities, consent, participations with values, tiers, ledger, and history", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { definePersonField(input: { key: "shoe", label: "Shoe", type: NUMBER }) { id } createAttributeBucket(name: "billing") { name } }`);
    const program = await createProgram(tenant, [{ key: "tier", type: "TEXT" }]);
    const externalId = unique("ext");
    await people(tenant, [{ externalId, email: "gdpr@example.com", attributes: { plan: "pro" }, customFields: [{ key: "shoe", value: 44 }], identities: [{ system: "crm", id: "c-1" }], consent: { emailOptIn: false } }]);
    const { person } = await tenant.ok(`query($e: String!) { person(externalId: $e) { id } }`, { e: externalId });
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, bucket: "billing", attributes: { iban: "DE00" }) { id } }`, { id: person.id });
    await participants(tenant, program.key, [{ externalId: "m-1", person: { externalId }, customFields: [{ key: "tier", value: "gold" }] }]);
    await tenant.ok(`mutation($p: String!) { postLedgerEntry(input: { programKey: $p, participantExternalId: "m-1", kind: BALANCE, bucket: AVAILABLE, asset: "points", amount: "12.50", idempotencyKey: "l-1" }) { id }
      setTier(programKey: $p, externalId: "m-1", tierType: "status", level: "gold", rank: 2) { id } }`, { p: program.key });

    const { personExport: doc } = await tenant.ok(EXPORT, { e: externalId });
    expect(doc.person).toMatchObject({ id: person.id, externalId, email: "gdpr@example.com" });
    expect(doc.person.workspaceId).toBeUndefined();
    expect(doc.attributes).toEqual({ default: { plan: "pro" }, billing: { iban: "DE00" } });
    expect(doc.customFields).toEqual({ shoe: 44 });
    expect(doc.identities).toEqual([{ system: "crm", id: "c-1" }]);
    expect(doc.consent).toMatchObject({ emailOptIn: false });
    expect(doc.participations).toHaveLength(1);
    expect(doc.participations[0]).toMatchObject({
      externalId: "m-1", program: { key: program.key }, customFields: { tier: "gold" },
      tiers: [{ tierType: "status", level: "gold", rank: 2 }], ledger: expect.arrayContaining([expect.objectContaining({ kind: "BALANCE", asset: "points", amount: "12.50", idempotencyKey: "l-1" })]),
    });
    const kinds = doc.changes.map((c: any) => `${c.entityType}:${c.operation}`);
    expect(kinds).toEqual(expect.arrayContaining(["PERSON:CREATED", "PERSON:UPDATED", "PARTICIPANT:CREATED", "PARTICIPANT:LEDGER_POSTED", "PARTICIPANT:TIER_SET"]));
    expect((await tenant.ok(EXPORT, { id: person.id })).personExport).toEqual({ ...doc, exportedAt: expect.any(String) });
  });

  it("is for admin keys, and finds nothing of another workspace", async () => {
    const tenant = await h.workspace();
    const other = await h.workspace();
    const theirs = await createPerson(other, { externalId: unique("ext") });
    expect((await tenant.ok(EXPORT, { id: theirs.id })).personExport).toBeNull();
    expect((await tenant.ok(EXPORT, { e: theirs.externalId })).personExport).toBeNull();
    const writer = await other.key(["READ", "WRITE"]);
    const refused = await other.gql(EXPORT, { id: theirs.id }, writer);
    expect(refused.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    expect(refused.data?.personExport ?? null).toBeNull();
  });
});
