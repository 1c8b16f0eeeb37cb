import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
let program: Awaited<ReturnType<typeof createProgram>>;
const ids: Record<string, string> = {};

const PEOPLE = [
  { name: "Ada", last: "Lovelace", email: "ada@math.org", tags: ["vip", "speaker"], shirt: "m", status: "ACTIVE", tier: "gold" },
  { name: "Grace", last: "Hopper", email: "grace@navy.mil", tags: ["vip"], shirt: "l", status: "ACTIVE", tier: "silver" },
  { name: "Alan", last: "Turing", email: "alan@bletchley.uk", tags: ["speaker"], shirt: "m", status: "SUSPENDED", tier: "gold" },
  { name: "Edsger", last: null, email: "edsger@tue.nl", tags: [], shirt: null, status: "ACTIVE", tier: null },
  { name: "Barbara", last: "Liskov", email: "barbara@mit.edu", tags: ["speaker", "chair"], shirt: "s", status: "CLOSED", tier: "silver" },
];

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Lists");
  program = await createProgram(tenant, [
    { key: "shirt", type: "SELECT", options: ["s", "m", "l"].map((v) => ({ value: v, label: v.toUpperCase() })) },
  ]);
  for (const p of PEOPLE) {
    const participant = await enroll(tenant, program.key, {
      externalId: `ext-${p.name}`,
      person: { firstName: p.name, lastName: p.last, email: p.email, externalId: `person-${p.name}`, tags: p.tags, attributes: p.tier ? { tier: p.tier } : {} },
      tags: p.tags,
      attributes: p.tier ? { tier: p.tier } : {},
      customFields: p.shirt ? [{ key: "shirt", value: p.shirt }] : [],
    });
    ids[p.name] = participant.id;
    if (p.status !== "ACTIVE") {
      await tenant.ok(`mutation($id: ID!, $s: Status!) { setParticipantStatus(id: $id, status: $s) { id } setPersonStatus(id: "${participant.person.id}", status: $s) { id } }`, { id: participant.id, s: p.status });
    }
  }
});
afterAll(() => h.close());

async function participantNames(filter: Record<string, unknown>, orderBy?: Record<string, unknown>) {
  const data = await tenant.ok(
    `query($key: String!, $filter: ParticipantFilter, $orderBy: ParticipantOrder) {
      participants(programKey: $key, filter: $filter, orderBy: $orderBy, first: 100) { totalCount edges { node { firstName } } } }`,
    { key: program.key, filter, orderBy },
  );
  const names = data.participants.edges.map((e: { node: { firstName: string } }) => e.node.firstName);
  expect(data.participants.totalCount).toBe(names.length);
  return names;
}

async function personNames(filter: Record<string, unknown>, orderBy?: Record<string, unknown>) {
  const data = await tenant.ok(
    `query($filter: PersonFilter, $orderBy: PersonOrder) { people(filter: $filter, orderBy: $orderBy, first: 100) { totalCount edges { node { firstName } } } }`,
    { filter, orderBy },
  );
  return data.people.edges.map((e: { node: { firstName: string } }) => e.node.firstName);
}

describe("participant filters", () => {
  it.each([
    [{}, ["Ada", "Grace", "Alan", "Edsger", "Barbara"]],
    [{ status: "ACTIVE" }, ["Ada", "Grace", "Edsger"]],
    [{ tagsAny: ["VIP", "chair"] }, ["Ada", "Grace", "Barbara"]],
    [{ tagsAll: ["speaker", "vip"] }, ["Ada"]],
    [{ externalId: "ext-Alan" }, ["Alan"]],
    [{ email: "GRACE@navy.mil" }, ["Grace"]],
    [{ search: "lIsK" }, ["Barbara"]],
    [{ search: "@mit.edu" }, ["Barbara"]],
    // LIKE wildcards are plain characters.
    [{ search: "%" }, []],
    [{ search: "gr_ce" }, []],
    [{ email: "___@math.org" }, []],
    [{ attributes: [{ key: "tier", equals: "gold" }] }, ["Ada", "Alan"]],
    [{ customFields: [{ key: "shirt", equals: "m" }] }, ["Ada", "Alan"]],
    [{ customFields: [{ key: "shirt", equals: "m" }], status: "ACTIVE", tagsAny: ["vip"] }, ["Ada"]],
    [{ createdAfter: "2000-01-01T00:00:00Z", createdBefore: "2100-01-01T00:00:00Z" }, ["Ada", "Grace", "Alan", "Edsger", "Barbara"]],
    [{ updatedAfter: "2100-01-01T00:00:00Z" }, []],
  ])("%j", async (filter, expected) => {
    expect(await participantNames(filter)).toEqual(expected);
  });
});

describe("person filters", () => {
  it.each([
    [{ status: "SUSPENDED" }, ["Alan"]],
    [{ tagsAny: ["chair"] }, ["Barbara"]],
    [{ externalId: "person-Ada" }, ["Ada"]],
    [{ search: "%" }, []],
    [{ email: "___@math.org" }, []],
    [{ email: "ada@MATH.org" }, ["Ada"]],
    [{ attributes: [{ key: "tier", equals: "silver" }] }, ["Grace", "Barbara"]],
    [{ attributes: [{ key: "tier", equals: "silver", bucket: "default" }], search: "grace" }, ["Grace"]],
  ])("%j", async (filter, expected) => {
    expect(await personNames(filter)).toEqual(expected);
  });
});

describe("ordering", () => {
  it("orders participants by last name either way, nulls last, and by serial number descending", async () => {
    expect(await participantNames({}, { field: "LAST_NAME", direction: "ASC" })).toEqual(["Grace", "Barbara", "Ada", "Alan", "Edsger"]);
    expect(await participantNames({}, { field: "LAST_NAME", direction: "DESC" })).toEqual(["Alan", "Ada", "Barbara", "Grace", "Edsger"]);
    expect(await participantNames({}, { field: "SERIAL_NUMBER", direction: "DESC" })).toEqual(["Barbara", "Edsger", "Alan", "Grace", "Ada"]);
  });

  it("orders people by e-mail", async () => {
    expect(await personNames({}, { field: "EMAIL" })).toEqual(["Ada", "Alan", "Barbara", "Edsger", "Grace"]);
  });
});

describe("pagination", () => {
  const PAGE = `query($key: String!, $after: String, $first: Int, $orderBy: ParticipantOrder) {
    participants(programKey: $key, first: $first, after: $after, orderBy: $orderBy) {
      totalCount edges { cursor node { firstName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

  it.each([
    [{ field: "SERIAL_NUMBER", direction: "ASC" }],
    [{ field: "LAST_NAME", direction: "ASC" }],
    [{ field: "LAST_NAME", direction: "DESC" }],
    [{ field: "CREATED_AT", direction: "DESC" }],
  ])("walks every row exactly once, two at a time, ordered by %j", async (orderBy) => {
    const all = await participantNames({}, orderBy);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { participants } = (await tenant.ok(PAGE, { key: program.key, first: 2, after, orderBy })) as { participants: any };
      seen.push(...participants.edges.map((e: { node: { firstName: string } }) => e.node.firstName));
      expect(participants.totalCount).toBe(5);
      expect(participants.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(participants.pageInfo.endCursor).toBe(participants.edges.at(-1)?.cursor ?? null);
      if (!participants.pageInfo.hasNextPage) break;
      after = participants.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });

  it("stays correct while rows are inserted between pages", async () => {
    const own = await createProgram(tenant);
    for (let i = 0; i < 6; i++) await enroll(tenant, own.key, { person: { firstName: `orig${i}` } });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { participants } = (await tenant.ok(PAGE, { key: own.key, first: 2, after })) as { participants: any };
      seen.push(...participants.edges.map((e: { node: { firstName: string } }) => e.node.firstName));
      await Promise.all([0, 1].map((j) => enroll(tenant, own.key, { person: { firstName: `new${page}-${j}` } })));
      if (!participants.pageInfo.hasNextPage) break;
      after = participants.pageInfo.endCursor;
    }
    const originals = seen.filter((n) => n.startsWith("orig"));
    expect(originals).toEqual(["orig0", "orig1", "orig2", "orig3", "orig4", "orig5"]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("defaults to 20, allows at most 100, and rejects a foreign cursor", async () => {
    const own = await createProgram(tenant);
    for (let i = 0; i < 21; i++) await enroll(tenant, own.key);
    const { participants } = await tenant.ok(PAGE, { key: own.key });
    expect(participants.edges).toHaveLength(20);
    expect(participants.pageInfo.hasNextPage).toBe(true);
    const tooMany = await tenant.gql(PAGE, { key: own.key, first: 101 });
    expect(codes(tooMany)).toEqual(["BAD_USER_INPUT"]);
    expect(tooMany.errors![0]!.extensions.fieldErrors[0].path).toEqual(["first"]);
    expect(codes(await tenant.gql(PAGE, { key: own.key, after: "garbage" }))).toEqual(["BAD_USER_INPUT"]);
  });

  it("lists an unknown program as empty", async () => {
    const { participants } = await tenant.ok(PAGE, { key: "no-such-program" });
    expect(participants).toMatchObject({ totalCount: 0, edges: [] });
  });
});

describe("nested lists", () => {
  it("pages a person's participations and a program's participants", async () => {
    const person = await createPerson(tenant);
    const other = await createProgram(tenant);
    await enroll(tenant, program.key, { person: undefined, personId: person.id });
    await enroll(tenant, other.key, { person: undefined, personId: person.id });
    const data = await tenant.ok(`query($id: ID!, $key: String!) {
      person(id: $id) { participants(first: 1) { totalCount edges { node { program { key } } } pageInfo { hasNextPage } } }
      program(key: $key) { participants(first: 100, filter: { status: CLOSED }) { totalCount edges { node { firstName } } } } }`, { id: person.id, key: program.key });
    expect(data.person.participants).toEqual({ totalCount: 2, edges: [{ node: { program: { key: program.key } } }], pageInfo: { hasNextPage: true } });
    expect(data.program.participants).toEqual({ totalCount: 1, edges: [{ node: { firstName: "Barbara" } }] });
  });

  it("pages programs", async () => {
    const { programs } = await tenant.ok(`{ programs(first: 100) { totalCount edges { node { key } } } }`);
    expect(programs.totalCount).toBe(programs.edges.length);
    expect(programs.edges.map((e: { node: { key: string } }) => e.node.key)).toContain(program.key);
  });
});
