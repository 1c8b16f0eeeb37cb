import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSchema } from "../src/schema/index.js";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createProgram, enroll } from "./support/fixtures.js";

// Two workspaces with identical data: the same program key, custom field keys, external ids,
// serial numbers, bucket names and idempotency keys. Workspace A uses B's identifiers in every
// root field; no row of B may be returned, changed or counted. Every root field needs a case.

interface World {
  tenant: Tenant;
  personId: string;
  participantId: string;
  programId: string;
  fieldId: string;
  apiKeyId: string;
  /** A webhook endpoint, one of its deliveries, and one change. */
  endpointId: string;
  deliveryId: string;
  changeId: string;
}

let h: Harness;
let a: World;
let b: World;

async function world(name: string, extra?: (t: Tenant) => Promise<void>): Promise<World> {
  const tenant = await h.workspace(name);
  await tenant.ok(`mutation { createAttributeBucket(name: "extra") { name } }`);
  const program = await createProgram(tenant, [{ key: "shirt", type: "TEXT" }], "shared");
  const p = await enroll(tenant, program.key, {
    externalId: "ext-1",
    person: { externalId: "person-1", email: "same@example.com", firstName: name },
    customFields: [{ key: "shirt", value: name }],
  });
  await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, bucket: "extra", attributes: { owner: "${name}" }) { id } }`, { id: p.person.id });
  await tenant.ok(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "visits", amount: "1", idempotencyKey: "same-key" }) { id } }`, { id: p.id });
  // Made in the database: the app refuses private targets, and the public ones do not resolve here.
  const endpoint = await h.db.prisma.webhookEndpoint.create({ data: { workspaceId: tenant.workspaceId, url: `https://hooks.example/${name}`, secret: "whsec_c2VjcmV0" } });
  await extra?.(tenant);
  const { viewer } = await tenant.ok(`{ viewer { apiKey { id } } }`);
  const delivery = await h.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
  return {
    tenant,
    personId: p.person.id,
    participantId: p.id,
    programId: program.id,
    fieldId: program.fieldIds.shirt!,
    apiKeyId: viewer.apiKey.id,
    endpointId: endpoint.id,
    deliveryId: delivery.id,
    changeId: delivery.changeId,
  };
}

/** Every row of a workspace, to prove afterwards that nothing of it changed. */
async function snapshot(workspaceId: string) {
  const p = h.db.prisma;
  const where = { where: { workspaceId } };
  return JSON.stringify(
    await Promise.all([
      p.person.findMany({ ...where, orderBy: { id: "asc" } }),
      p.participant.findMany({ ...where, orderBy: { id: "asc" } }),
      p.program.findMany({ ...where, orderBy: { id: "asc" } }),
      p.customFieldDefinition.findMany({ ...where, orderBy: { id: "asc" } }),
      p.customFieldValue.findMany({ ...where, orderBy: { fieldId: "asc" } }),
      p.personAttribute.findMany({ ...where, orderBy: { key: "asc" } }),
      p.attributeBucket.findMany({ ...where, orderBy: { name: "asc" } }),
      p.ledgerEntry.findMany({ ...where, orderBy: { id: "asc" } }),
      p.ledgerTotal.findMany({ ...where, orderBy: { asset: "asc" } }),
      p.participantTier.findMany(where),
      p.apiKey.findMany({ ...where, orderBy: { id: "asc" }, select: { id: true, revokedAt: true, scopes: true } }),
      p.webhookEndpoint.findMany({ ...where, orderBy: { id: "asc" } }),
      // Which deliveries exist, not their attempts: a webhook worker of another test file may be
      // trying B's (unresolvable) endpoint meanwhile.
      p.webhookDelivery.findMany({ ...where, orderBy: { id: "asc" }, select: { id: true, endpointId: true, changeId: true } }),
      h.db.query(`SELECT id, fields FROM change WHERE workspace_id = $1 ORDER BY position`, [workspaceId]),
    ]),
  );
}

const notFound = async (query: string, variables: Record<string, unknown>) => {
  expect(codes(await a.tenant.gql(query, variables)), query).toEqual(["NOT_FOUND"]);
};

/** Ids of B that must never appear in anything A reads. */
const foreignIds = () => [b.personId, b.participantId, b.programId, b.fieldId, b.apiKeyId, b.tenant.workspaceId, b.endpointId, b.deliveryId, b.changeId];
const expectNoForeign = (data: unknown) => {
  const text = JSON.stringify(data);
  for (const id of foreignIds()) expect(text).not.toContain(id);
};

const CASES: Record<string, () => Promise<void>> = {
  // Queries
  node: async () => {
    for (const id of foreignIds()) expect((await a.tenant.ok(`query($id: ID!) { node(id: $id) { id } }`, { id })).node).toBeNull();
  },
  viewer: async () => {
    expect((await a.tenant.ok(`{ viewer { workspace { id } } }`)).viewer.workspace.id).toBe(a.tenant.workspaceId);
  },
  person: async () => {
    expect((await a.tenant.ok(`query($id: ID!) { person(id: $id) { id } }`, { id: b.personId })).person).toBeNull();
    expect((await a.tenant.ok(`{ person(externalId: "person-1") { id } }`)).person.id).toBe(a.personId);
    expect((await a.tenant.ok(`{ person(email: "SAME@example.com") { id } }`)).person.id).toBe(a.personId);
    expect((await a.tenant.ok(`{ person(identity: { system: "crm", id: "b-crm" }) { id } }`)).person).toBeNull();
    expect((await a.tenant.ok(`{ people(filter: { identity: { system: "crm", id: "b-crm" } }) { totalCount } }`)).people.totalCount).toBe(0);
  },
  people: async () => {
    const data = await a.tenant.ok(`{ people(first: 100, filter: { externalId: "person-1" }) { totalCount edges { node { id attributes(bucket: "extra") } } } }`);
    expect(data.people.totalCount).toBe(1);
    expect(data.people.edges[0].node).toEqual({ id: a.personId, attributes: { owner: "A" } });
    expectNoForeign(await a.tenant.ok(`{ people(first: 100) { totalCount edges { node { id participants { edges { node { id } } } } } } }`));
  },
  program: async () => {
    expect((await a.tenant.ok(`query($id: ID!) { program(id: $id) { id } }`, { id: b.programId })).program).toBeNull();
    expect((await a.tenant.ok(`{ program(key: "shared") { id } }`)).program.id).toBe(a.programId);
  },
  programs: async () => {
    expectNoForeign(await a.tenant.ok(`{ programs(first: 100) { totalCount edges { node { id customFields(includeArchived: true) { id } } } } }`));
  },
  participant: async () => {
    expect((await a.tenant.ok(`query($id: ID!) { participant(id: $id) { id } }`, { id: b.participantId })).participant).toBeNull();
    expect((await a.tenant.ok(`{ participant(programKey: "shared", serialNumber: 1) { id } }`)).participant.id).toBe(a.participantId);
    expect((await a.tenant.ok(`{ participant(programKey: "shared", externalId: "ext-1") { id ledger { totalCount } counters { value } } }`)).participant).toEqual({
      id: a.participantId,
      ledger: { totalCount: 1 },
      counters: [{ value: "1" }],
    });
  },
  participants: async () => {
    const data = await a.tenant.ok(`{ participants(programKey: "shared", first: 100, filter: { customFields: [{ key: "shirt", equals: "B" }] }) { totalCount } }`);
    expect(data.participants.totalCount).toBe(0);
    const all = await a.tenant.ok(`{ participants(programKey: "shared", first: 100) { totalCount edges { node { id person { id } customFields { value } } } } }`);
    expect(all.participants.totalCount).toBe(1);
    expect(all.participants.edges[0].node.customFields).toEqual([{ value: "A" }]);
    expectNoForeign(all);
  },
  attributeBuckets: async () => {
    expect((await a.tenant.ok(`{ attributeBuckets { name } }`)).attributeBuckets).toEqual([{ name: "default" }, { name: "extra" }]);
  },
  _entities: async () => {
    const { _entities } = await a.tenant.ok(`query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`, {
      reps: [
        { __typename: "Person", id: b.personId },
        { __typename: "Participant", id: b.participantId },
        { __typename: "Program", id: b.programId },
      ],
    });
    expect(_entities).toEqual([null, null, null]);
  },
  _service: async () => {
    expect((await a.tenant.ok(`{ _service { sdl } }`))._service.sdl).not.toContain(b.tenant.workspaceId);
  },
  // Mutations
  createPerson: async () => {
    // An external id B uses is free in A: uniqueness is per workspace.
    await a.tenant.ok(`mutation { createPerson(input: { externalId: "b-only" }) { id } }`);
  },
  upsertPerson: async () => {
    const { upsertPerson } = await a.tenant.ok(`mutation { upsertPerson(externalId: "person-1", input: { title: "A's" }) { id } }`);
    expect(upsertPerson.id).toBe(a.personId);
  },
  updatePerson: async () => {
    await notFound(`mutation($id: ID!) { updatePerson(id: $id, input: { title: "x" }) { id } }`, { id: b.personId });
    await notFound(`mutation { updatePerson(externalId: "b-person", input: { title: "x" }) { id } }`, {});
  },
  setPersonStatus: async () => {
    await notFound(`mutation($id: ID!) { setPersonStatus(id: $id, status: CLOSED) { id } }`, { id: b.personId });
    await notFound(`mutation { setPersonStatus(externalId: "b-person", status: CLOSED) { id } }`, {});
  },
  deletePerson: async () => {
    await notFound(`mutation($id: ID!) { deletePerson(id: $id) { deletedId } }`, { id: b.personId });
    await notFound(`mutation { deletePerson(externalId: "b-person") { deletedId } }`, {});
  },
  setAttributes: async () => {
    await notFound(`mutation($id: ID!) { setAttributes(personId: $id, bucket: "extra", attributes: { owner: "A" }) { id } }`, { id: b.personId });
    await notFound(`mutation { setAttributes(externalId: "b-person", bucket: "extra", attributes: { owner: "A" }) { id } }`, {});
  },
  createAttributeBucket: async () => {
    await a.tenant.ok(`mutation { createAttributeBucket(name: "b-only") { name } }`);
  },
  createProgram: async () => {
    await a.tenant.ok(`mutation { createProgram(input: { key: "b-only", name: "A's" }) { id } }`);
  },
  updateProgram: () => notFound(`mutation($id: ID!) { updateProgram(id: $id, input: { name: "x" }) { id } }`, { id: b.programId }),
  defineCustomField: () => notFound(`mutation($id: ID!) { defineCustomField(programId: $id, input: { key: "k", label: "k", type: TEXT }) { id } }`, { id: b.programId }),
  updateCustomField: () => notFound(`mutation($id: ID!) { updateCustomField(id: $id, input: { archived: true }) { id } }`, { id: b.fieldId }),
  enrollParticipant: async () => {
    await notFound(`mutation($id: ID!) { enrollParticipant(input: { programKey: "shared", personId: $id }) { id } }`, { id: b.personId });
    await notFound(`mutation { enrollParticipant(input: { programKey: "b-program", person: { firstName: "x" } }) { id } }`, {});
  },
  updateParticipant: async () => {
    await notFound(`mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["x"] }) { id } }`, { id: b.participantId });
    await notFound(`mutation { updateParticipant(programKey: "b-program", serialNumber: 1, input: { tags: ["x"] }) { id } }`, {});
  },
  setParticipantStatus: async () => {
    await notFound(`mutation($id: ID!) { setParticipantStatus(id: $id, status: CLOSED) { id } }`, { id: b.participantId });
    await notFound(`mutation { setParticipantStatus(programKey: "b-program", externalId: "b-ext", status: CLOSED) { id } }`, {});
  },
  deleteParticipant: async () => {
    await notFound(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: b.participantId });
    await notFound(`mutation { deleteParticipant(programKey: "b-program", serialNumber: 1) { deletedId } }`, {});
  },
  postLedgerEntry: async () => {
    await notFound(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "visits", amount: "5", idempotencyKey: "x" }) { id } }`, { id: b.participantId });
    await notFound(`mutation { postLedgerEntry(input: { programKey: "b-program", serialNumber: 1, kind: COUNTER, asset: "visits", amount: "5", idempotencyKey: "y" }) { id } }`, {});
    // B's idempotency key means nothing in A.
    await a.tenant.ok(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "visits", amount: "1", idempotencyKey: "b-key" }) { id } }`, { id: a.participantId });
  },
  setTier: async () => {
    await notFound(`mutation($id: ID!) { setTier(participantId: $id, tierType: "t", level: "x", rank: 1) { id } }`, { id: b.participantId });
    await notFound(`mutation { setTier(programKey: "b-program", externalId: "b-ext", tierType: "t", level: "x", rank: 1) { id } }`, {});
  },
  createApiKey: async () => {
    const { createApiKey } = await a.tenant.ok(`mutation { createApiKey(input: { name: "k", scopes: [READ] }) { secret } }`);
    expect((await a.tenant.ok(`{ viewer { workspace { id } } }`, {}, createApiKey.secret)).viewer.workspace.id).toBe(a.tenant.workspaceId);
  },
  revokeApiKey: () => notFound(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: b.apiKeyId }),
  importPeople: async () => {
    // B's external id names A's person; B's id in another system is free in A (run after the person cases).
    const { importPeople } = await a.tenant.ok(`mutation { importPeople(rows: [{ externalId: "person-1", firstName: "A" }, { externalId: "person-1b", identities: [{ system: "crm", id: "b-crm" }] }]) { rows { status id } } }`);
    expect(importPeople.rows).toEqual([{ status: "UNCHANGED", id: a.personId }, { status: "CREATED", id: expect.any(String) }]);
  },
  importParticipants: async () => {
    const { importParticipants } = await a.tenant.ok(
      `mutation { importParticipants(programKey: "shared", rows: [{ externalId: "ext-1", person: { externalId: "person-1" }, customFields: [{ key: "shirt", value: "A" }] }]) { rows { status id } } }`,
    );
    expect(importParticipants.rows).toEqual([{ status: "UNCHANGED", id: a.participantId }]);
  },
  personExport: async () => {
    expect((await a.tenant.ok(`query($id: ID!) { personExport(id: $id) }`, { id: b.personId })).personExport).toBeNull();
    const { personExport } = await a.tenant.ok(`{ personExport(externalId: "person-1") }`);
    expect(personExport.person.id).toBe(a.personId);
    expectNoForeign(personExport);
  },
  mergePersons: async () => {
    await notFound(`mutation($s: ID!, $t: ID!) { mergePersons(sourceId: $s, targetId: $t) { id } }`, { s: b.personId, t: a.personId });
    await notFound(`mutation($s: ID!, $t: ID!) { mergePersons(sourceId: $s, targetId: $t) { id } }`, { s: a.personId, t: b.personId });
  },
  personFields: async () => {
    const { personFields } = await a.tenant.ok(`{ personFields(includeArchived: true) { key } }`);
    expect(personFields.map((f: { key: string }) => f.key)).not.toContain("bOnly");
  },
  definePersonField: async () => {
    // B has a person field of this key; A's is its own.
    await a.tenant.ok(`mutation { definePersonField(input: { key: "bOnly", label: "A's", type: TEXT }) { id } }`);
    const { person } = await a.tenant.ok(`query($id: ID!) { person(id: $id) { customFields { key value } } }`, { id: a.personId });
    expect(person.customFields).toEqual([{ key: "bOnly", value: null }]);
  },
  rotateApiKey: () => notFound(`mutation($id: ID!) { rotateApiKey(id: $id) { secret } }`, { id: b.apiKeyId }),
  apiKeys: async () => {
    const { apiKeys } = await a.tenant.ok(`{ apiKeys(includeRevoked: true) { id } }`);
    expect(apiKeys.length).toBeGreaterThan(0);
    expect(apiKeys.map((k: { id: string }) => k.id)).not.toContain(b.apiKeyId);
  },
  changes: async () => {
    const all = await a.tenant.ok(`{ changes(first: 100) { totalCount edges { node { id entityId fields { path before after } } } } }`);
    expect(all.changes.edges.length).toBeGreaterThan(0);
    expectNoForeign(all);
    expect(JSON.stringify(all)).not.toContain('"B"');
    for (const entityId of [b.personId, b.participantId]) {
      const { changes } = await a.tenant.ok(`query($id: ID!) { changes(filter: { entityId: $id }) { totalCount edges { node { id } } } }`, { id: entityId });
      expect(changes).toEqual({ totalCount: 0, edges: [] });
    }
    const { changes: byProgram } = await a.tenant.ok(`{ changes(filter: { programKey: "b-program" }) { totalCount } }`);
    expect(byProgram.totalCount).toBe(0);
  },
  webhookEndpoints: async () => {
    const data = await a.tenant.ok(`{ webhookEndpoints { id url deliveries(first: 100) { edges { node { id change { id } } } } } }`);
    expect(data.webhookEndpoints.map((e: { id: string }) => e.id)).toEqual([a.endpointId]);
    expectNoForeign(data);
  },
  createWebhookEndpoint: async () => {
    // Nothing of B can be named; the endpoint is A's (refused here only because its host does not resolve).
    expect(codes(await a.tenant.gql(`mutation { createWebhookEndpoint(input: { url: "https://hooks.example/B" }) { secret } }`))).toEqual(["BAD_USER_INPUT"]);
  },
  updateWebhookEndpoint: () => notFound(`mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id } }`, { id: b.endpointId }),
  deleteWebhookEndpoint: () => notFound(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, { id: b.endpointId }),
  rotateWebhookSecret: () => notFound(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: b.endpointId }),
  redeliverWebhook: () => notFound(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: b.deliveryId }),
};

beforeAll(async () => {
  h = await createHarness();
  a = await world("A");
  b = await world("B", async (t) => {
    await t.ok(`mutation { createProgram(input: { key: "b-program", name: "B only" }) { id } }`);
    await t.ok(`mutation { definePersonField(input: { key: "bOnly", label: "B", type: TEXT }) { id } }`);
    await t.ok(`mutation { enrollParticipant(input: { programKey: "b-program", externalId: "b-ext", person: { externalId: "b-person", firstName: "B", identities: [{ system: "crm", id: "b-crm" }] } }) { id } }`);
  });
});
afterAll(() => h.close());

describe("tenant isolation", () => {
  it("has a case for every root field of the schema", () => {
    const schema = buildSchema();
    const fields = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(Object.keys(CASES).sort()).toEqual(fields.sort());
  });

  it("never returns, changes or counts another workspace's rows", async () => {
    const before = await snapshot(b.tenant.workspaceId);
    for (const [field, run] of Object.entries(CASES)) {
      try {
        await run();
      } catch (error) {
        throw new Error(`${field}: ${(error as Error).message}`);
      }
    }
    expect(await snapshot(b.tenant.workspaceId)).toBe(before);
  });
});
