import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { renderStoredDisplays } from "../src/services/stored-display.js";
import { rendering } from "../src/stores/display-sql.js";
import { createProgram, enroll, fieldOfEveryType, PARTICIPANT_FIELDS } from "./support/fixtures.js";
import { createHarness, databaseKind, type Harness, type Tenant } from "./support/harness.js";

// Participant reads answered with PostgreSQL's JSON text as it is (src/direct) must answer
// exactly what ordinary execution answers: the same keys in the same order and the same values.
// Values of the JSON scalars may be spaced differently (PostgreSQL writes `{"a": 1}`), so both
// answers are compared after one parse and write.

let h: Harness;
let tenant: Tenant;
let ordinary: App;
let program: Awaited<ReturnType<typeof createProgram>>;
let unusual: Awaited<ReturnType<typeof createProgram>>;
const ids: string[] = [];

const OPTIONS = [
  { value: "a", label: "Alpha" },
  { value: "b", label: "Beta \"β\"" },
];
const FIELDS = [...fieldOfEveryType(OPTIONS), { key: "gone", type: "TEXT" }];

/** The raw body of a request to an app. */
async function post(app: App, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await app.fetch("http://test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", authorization: `Bearer ${tenant.adminKey}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

async function directCount(answeredBy: "direct" | "resolvers"): Promise<number> {
  const text = await (await h.app.fetch("http://test/metrics")).text();
  return Number(new RegExp(`participant_graph_direct_reads_total\\{answeredBy="${answeredBy}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

/**
 * Asks both apps; the answers must mean the same, key order included (unless `anyOrder`).
 * Returns the direct answer's data with its errors beside it.
 */
async function same(query: string, variables: Record<string, unknown> = {}, anyOrder = false) {
  const [direct, resolved] = await Promise.all([post(h.app, query, variables), post(ordinary, query, variables)]);
  expect(direct.status).toBe(resolved.status);
  expect(direct.type).toBe(resolved.type);
  const body = JSON.parse(direct.text);
  if (anyOrder) expect(body).toEqual(JSON.parse(resolved.text));
  else expect(JSON.stringify(body)).toBe(resolved.text);
  return Object.assign({ errors: body.errors }, body.data);
}

/** Runs `read` and says how many reads it answered directly and how many by resolvers. */
async function answered(read: () => Promise<unknown>) {
  const before = { direct: await directCount("direct"), resolvers: await directCount("resolvers") };
  await read();
  return { direct: (await directCount("direct")) - before.direct, resolvers: (await directCount("resolvers")) - before.resolvers };
}

beforeAll(async () => {
  h = await createHarness();
  const logger = pino({ level: "silent" });
  ordinary = createApp({ db: h.db, config: { graphiql: false, apiKeyCacheSeconds: 0, directReads: false }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger }) });
  tenant = await h.workspace("Direct reads");
  program = await createProgram(tenant, FIELDS);
  await tenant.ok(`mutation($id: ID!) { updateCustomField(id: $id, input: { archived: true }) { id } }`, { id: program.fieldIds.gone });
  const first = await enroll(tenant, program.key, {
    externalId: "ext-1",
    tags: ["x", "y \"z\""],
    attributes: { nested: { list: [1, "two", null, 2.5] }, "ü": "ünïcödé\n\t", big: 1e20 },
    person: { firstName: "Zoë", lastName: "O'Brien \\ \"Q\"", email: "zoe@example.com", phone: "+44 20 7946 0000" },
    customFields: [
      { key: "text", value: "line one\nline two \u0001 \"quoted\" </script>" },
      { key: "number", value: 12.5 },
      { key: "flag", value: true },
      { key: "day", value: "2026-09-05" },
      { key: "moment", value: "2026-01-15T00:05:00+01:00" },
      { key: "colour", value: "b" },
      { key: "colours", value: ["b", "a"] },
      { key: "mail", value: "zoe@example.com" },
      { key: "site", value: "https://example.com/a?b=c" },
    ],
  });
  ids.push(first.id);
  ids.push((await enroll(tenant, program.key, { person: { firstName: "Nobody" }, customFields: [{ key: "flag", value: false }, { key: "number", value: 0 }] })).id);
  // Dates in every month, at every hour: each display must read as JavaScript's Intl writes it.
  for (let month = 1; month <= 12; month++) {
    const mm = String(month).padStart(2, "0");
    const day = String(month * 2 + 3).padStart(2, "0");
    ids.push(
      (
        await enroll(tenant, program.key, {
          person: { firstName: `Month ${month}`, lastName: month % 3 ? `L${month % 4}` : null },
          customFields: [
            { key: "day", value: `1987-${mm}-${day}` },
            { key: "moment", value: `2031-${mm}-${day}T${String(month * 2 - 1).padStart(2, "0")}:${mm}:59.999Z` },
            { key: "number", value: -month / 8 },
            { key: "colours", value: month % 2 ? [] : ["a"] },
          ],
        })
      ).id,
    );
  }
  // Values PostgreSQL would display otherwise than JavaScript does.
  unusual = await createProgram(tenant, FIELDS.slice(0, 4));
  await enroll(tenant, unusual.key, { customFields: [{ key: "number", value: 12 }] });
  await enroll(tenant, unusual.key, { customFields: [{ key: "number", value: 1e21 }] });
  await enroll(tenant, unusual.key, { customFields: [{ key: "number", value: 5e-7 }] });
  await enroll(tenant, unusual.key, { customFields: [{ key: "day", value: "0999-03-01" }] });
});
afterAll(() => h.close());

const LIST = `query($key: String!, $first: Int, $after: String, $last: Int, $before: String, $orderBy: ParticipantOrder, $filter: ParticipantFilter) {
  participants(programKey: $key, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { __typename cursor node { __typename ${PARTICIPANT_FIELDS} person { __typename id externalId status tags createdAt } customFields { __typename key value displayValue updatedAt } } }
  } }`;

describe("direct participant reads", () => {
  it("answer a page with every kind of field as the resolvers do, without them", async () => {
    const counts = await answered(async () => {
      const data = await same(LIST, { key: program.key, first: 100 });
      expect(data.participants.edges).toHaveLength(14);
      const [zoe] = data.participants.edges.map((e: any) => e.node);
      expect(zoe.customFields.map((f: any) => f.displayValue)).toEqual([
        'line one\nline two \u0001 "quoted" </script>', "12.5", "Yes", "5 Sept 2026", "14 Jan 2026, 23:05 UTC", 'Beta "β"', 'Beta "β", Alpha', "zoe@example.com", "https://example.com/a?b=c",
      ]);
    });
    expect(counts).toEqual({ direct: 1, resolvers: 0 });
  });

  it("answer cursors, both directions, orderings and filters as the resolvers do", async () => {
    const orders = [undefined, { field: "LAST_NAME", direction: "DESC" }, { field: "CREATED_AT", direction: "ASC" }, { field: "UPDATED_AT", direction: "DESC" }];
    for (const orderBy of orders) {
      const page1 = await same(LIST, { key: program.key, first: 5, orderBy });
      const page2 = await same(LIST, { key: program.key, first: 5, after: page1.participants.pageInfo.endCursor, orderBy });
      expect(page2.participants.pageInfo.hasPreviousPage).toBe(true);
      const back = await same(LIST, { key: program.key, last: 3, before: page2.participants.pageInfo.startCursor, orderBy });
      expect(back.participants.edges.map((e: any) => e.node.id)).toEqual(page1.participants.edges.slice(2).map((e: any) => e.node.id));
    }
    const filtered = await same(LIST, { key: program.key, first: 10, filter: { search: "month 1" } });
    expect(filtered.participants.totalCount).toBe(4);
    await same(LIST, { key: "no-such-program", first: 10 });
    await same(LIST, { key: program.key, first: 0 });
  });

  it("answer aliases, fragments, repeated fields and a page that shows no participant field", async () => {
    const query = `query Aliased($key: String!) {
      list: participants(programKey: $key, first: 3) {
        count: totalCount
        edges { node { ...Names ... on Participant { ident: id serialNumber } id person { ...Person id } values: customFields { k: key v: value } } }
        edges { cursor }
      }
    }
    fragment Names on Participant { id firstName lastName person { firstName } }
    fragment Person on Person { email }`;
    // In document order, as the GraphQL specification orders fields (graphql-jit puts fields
    // before inline fragments before fragment spreads).
    let data: any;
    expect(await answered(async () => void (data = await same(query, { key: program.key }, true)))).toEqual({ direct: 1, resolvers: 0 });
    expect(Object.keys(data.list.edges[0].node)).toEqual(["id", "firstName", "lastName", "person", "ident", "serialNumber", "values"]);
    expect(Object.keys(data.list.edges[0].node.person)).toEqual(["firstName", "email", "id"]);
    expect(await answered(() => same(`query($key: String!) { participants(programKey: $key, first: 2) { pageInfo { hasNextPage endCursor } } }`, { key: program.key }))).toEqual({
      direct: 1,
      resolvers: 0,
    });
  });

  it("answer look-ups by id, serial number and external id, and null for none", async () => {
    const one = `query($id: ID, $key: String, $serial: Int, $ext: String) { participant(id: $id, programKey: $key, serialNumber: $serial, externalId: $ext) { ${PARTICIPANT_FIELDS} } }`;
    const counts = await answered(async () => {
      expect((await same(one, { id: ids[0] })).participant.id).toBe(ids[0]);
      expect((await same(one, { key: program.key, serial: 2 })).participant.id).toBe(ids[1]);
      expect((await same(one, { key: program.key, ext: "ext-1" })).participant.id).toBe(ids[0]);
      expect((await same(one, { key: program.key, ext: "nobody" })).participant).toBeNull();
      expect((await same(one, { id: "not-a-uuid" })).participant).toBeNull();
    });
    expect(counts).toEqual({ direct: 5, resolvers: 0 });
  });

  it("leave errors, and rows they cannot write the same way, to the resolvers", async () => {
    const counts = await answered(async () => {
      const tooMany = await same(LIST, { key: program.key, first: 1000 });
      expect(tooMany.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      const foreign = await same(LIST, { key: program.key, first: 1, after: "bm90IGEgY3Vyc29y" });
      expect(foreign.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      const lookup = await same(`{ participant(id: "${ids[0]}", externalId: "x") { id } }`);
      expect(lookup.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      // 1e21 and 5e-7 are written with an exponent by JavaScript; a year before 1000 is left alone.
      // (Formatted by the statement, as values are that no display was stored with.)
      await h.db.query(`UPDATE custom_field_value v SET display = NULL, display_format = NULL FROM participant p WHERE p.id = v.participant_id AND p.program_id = $1`, [unusual.id]);
      const page = await same(LIST, { key: unusual.key, first: 10 });
      expect(page.participants.edges.map((e: any) => e.node.customFields[1].displayValue)).toEqual(["12", "1e+21", "5e-7", null]);
      // The first row alone is usual.
      await same(LIST, { key: unusual.key, first: 1 });
    });
    expect(counts).toEqual({ direct: 1, resolvers: 4 });
  });

  it("are not made for selections they do not know, and keep to the caller's workspace", async () => {
    const counts = await answered(async () => {
      await same(`query($key: String!) { participants(programKey: $key, first: 2) { edges { node { id program { key } } } } }`, { key: program.key });
      await same(`query($key: String!) { participants(programKey: $key, first: 2) { edges { node { id customField(key: "text") { value } } } } }`, { key: program.key });
      await same(`query($key: String!) { participants(programKey: $key, first: 2) { edges { node { id @include(if: true) } } } }`, { key: program.key });
      await same(`query($key: String!) { participants(programKey: $key, first: 2) { edges { node { ... on Node { id } } } } }`, { key: program.key });
    });
    expect(counts).toEqual({ direct: 0, resolvers: 0 });
    const other = await h.workspace("Another");
    const theirs = await other.gql(LIST, { key: program.key, first: 10 });
    expect(theirs.data?.participants.edges).toEqual([]);
    expect((await other.gql(`{ participant(id: "${ids[0]}") { id } }`)).data?.participant).toBeNull();
  });

  it("answer a router's _entities of persons by id in order, null for none and for another workspace's", async () => {
    const people = (await same(`query($key: String!) { participants(programKey: $key, first: 3) { edges { node { person { id } } } } }`, { key: program.key })).participants.edges.map(
      (e: any) => e.node.person.id,
    );
    const other = await h.workspace("Entities elsewhere");
    const { createPerson: stranger } = await other.ok(`mutation { createPerson(input: { firstName: "Stranger" }) { id } }`);
    const person = (id: string) => ({ __typename: "Person", id });
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename ... on Person { __typename id firstName lastName email tags createdAt } } }`;
    const reps = [person(people[2]), person(people[0]), person("00000000-0000-4000-8000-000000000000"), person(stranger.id), person(people[2])];
    const counts = await answered(async () => {
      const data = await same(query, { reps });
      expect(data._entities.map((e: any) => e?.id ?? null)).toEqual([people[2], people[0], null, null, people[2]]);
      // Anything but persons by id goes to the resolvers: another entity type, a malformed representation.
      await same(query, { reps: [person(people[0]), { __typename: "Participant", id: ids[0] }] });
      const malformed = await same(query, { reps: [person(people[0]), { __typename: "Person" }] });
      expect(malformed.errors[0].path).toEqual(["_entities", 1]);
    });
    expect(counts).toEqual({ direct: 1, resolvers: 2 });
  });

  it.runIf(databaseKind === "postgres")("run on connections without PostgreSQL's JIT (it compiled a page's statement for 40 ms)", async () => {
    expect(await h.db.query("SHOW jit", [])).toEqual([{ jit: "off" }]);
  });

  it("answer GET requests and batches, with the content type the client accepts", async () => {
    const query = `query($key: String!) { participants(programKey: $key, first: 2) { edges { node { id attributes } } } }`;
    const url = `http://test/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ key: program.key }))}`;
    const get = (app: App, accept: string) => app.fetch(url, { headers: { accept, authorization: `Bearer ${tenant.adminKey}` } });
    for (const accept of ["application/json", "application/graphql-response+json"]) {
      const [direct, resolved] = await Promise.all([get(h.app, accept), get(ordinary, accept)]);
      expect(direct.headers.get("content-type")).toBe(resolved.headers.get("content-type"));
      expect(JSON.stringify(await direct.json())).toBe(await resolved.text());
    }
    const batch = JSON.stringify([
      { query, variables: { key: program.key } },
      { query: `{ participant(id: "${ids[0]}") { id tags } }` },
      { query: "{ __typename }" },
    ]);
    const send = (app: App) =>
      app.fetch("http://test/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` }, body: batch });
    const [direct, resolved] = await Promise.all([send(h.app), send(ordinary)]);
    expect(JSON.stringify(await direct.json())).toBe(await resolved.text());
  });
});

describe("stored displays", () => {
  const stored = (participantId: string, fieldId: string) =>
    h.db.query<{ display: string | null; display_format: number | null }>(
      `SELECT display, display_format FROM custom_field_value WHERE participant_id = $1 AND field_id = $2`,
      [participantId, fieldId],
    );
  /** A display stored by this rendering for each of the participant's values (its text does not matter here). */
  const renderStoredDisplaysOf = (participantId: string) =>
    h.db.query(`UPDATE custom_field_value SET display = 'rendered', display_format = $1 WHERE participant_id = $2`, [rendering!.format, participantId]);
  const PAGE = `query($key: String!) { participants(programKey: $key, first: 10) { edges { node { id customFields { key value displayValue } } } } }`;

  it("are written with the value, and a page trusts only those of its own rendering", async () => {
    expect(await stored(ids[0]!, program.fieldIds.colour!)).toEqual([{ display: 'Beta "β"', display_format: rendering!.format }]);
    expect(await stored(ids[0]!, program.fieldIds.moment!)).toEqual([{ display: "14 Jan 2026, 23:05 UTC", display_format: rendering!.format }]);
    const own = await createProgram(tenant, [{ key: "word", type: "TEXT" }]);
    const { id } = await enroll(tenant, own.key, { customFields: [{ key: "word", value: "written" }] });
    const display = async () => (await post(h.app, PAGE, { key: own.key }).then((r) => JSON.parse(r.text))).data.participants.edges[0].node.customFields[0].displayValue;
    // Another rendering's text (an older server's, say) is not read: the value is formatted again.
    await h.db.query(`UPDATE custom_field_value SET display = 'elsewhere', display_format = $1 WHERE participant_id = $2`, [rendering!.format ^ 1, id]);
    expect(await display()).toBe("written");
    // Its own rendering's text is read as it is stored.
    await h.db.query(`UPDATE custom_field_value SET display = 'as stored', display_format = $1 WHERE participant_id = $2`, [rendering!.format, id]);
    expect(await display()).toBe("as stored");
  });

  it("follow their field's options and type when the definition changes", async () => {
    const own = await createProgram(tenant, [{ key: "size", type: "SELECT", options: [{ value: "m", label: "Medium" }] }]);
    await enroll(tenant, own.key, { customFields: [{ key: "size", value: "m" }] });
    const change = (input: Record<string, unknown>) =>
      tenant.ok(`mutation($id: ID!, $input: UpdateCustomFieldInput!) { updateCustomField(id: $id, input: $input) { id } }`, { id: own.fieldIds.size, input });
    const shown = async () => (await same(PAGE, { key: own.key })).participants.edges[0].node.customFields[0].displayValue;
    expect(await shown()).toBe("Medium");
    await change({ options: [{ value: "m", label: "Mittel" }] });
    expect(await shown()).toBe("Mittel");
    await change({ type: "TEXT", options: null });
    expect(await shown()).toBe("m");
  });

  it("answer values only JavaScript formats (an exponent, a year before 1000) once stored with them", async () => {
    const own = await createProgram(tenant, FIELDS.slice(0, 4));
    await enroll(tenant, own.key, { customFields: [{ key: "number", value: 1e21 }, { key: "day", value: "0999-03-01" }] });
    const counts = await answered(async () => {
      const page = await same(LIST, { key: own.key, first: 10 });
      expect(page.participants.edges[0].node.customFields[1].displayValue).toBe("1e+21");
    });
    expect(counts).toEqual({ direct: 1, resolvers: 0 });
  });

  it("are forgotten when a value or its field changes without them (as a server of an earlier version writes)", async () => {
    const own = await createProgram(tenant, [{ key: "size", type: "SELECT", options: [{ value: "m", label: "Medium" }, { value: "l", label: "Large" }] }]);
    const { id } = await enroll(tenant, own.key, { customFields: [{ key: "size", value: "m" }] });
    const shown = async () => (await same(PAGE, { key: own.key })).participants.edges[0].node.customFields[0].displayValue;
    await h.db.query(`UPDATE custom_field_value SET value = '"l"' WHERE participant_id = $1`, [id]);
    expect(await stored(id, own.fieldIds.size!)).toEqual([{ display: null, display_format: null }]);
    expect(await shown()).toBe("Large");
    await renderStoredDisplaysOf(id);
    await h.db.query(`UPDATE custom_field_definition SET options = $1 WHERE id = $2`, [JSON.stringify([{ value: "m", label: "Medium" }, { value: "l", label: "Grande" }]), own.fieldIds.size]);
    expect(await stored(id, own.fieldIds.size!)).toEqual([{ display: null, display_format: null }]);
    expect(await shown()).toBe("Grande");
  });

  it("are rendered again, once, where another rendering (or none) wrote them", async () => {
    await h.db.query(`UPDATE custom_field_value SET display = NULL, display_format = NULL WHERE workspace_id = $1`, [tenant.workspaceId]);
    await h.db.query(`UPDATE custom_field_value SET display = 'elsewhere', display_format = $1 WHERE participant_id = $2`, [rendering!.format ^ 1, ids[1]]);
    await h.db.query(`DELETE FROM display_rendering`, []);
    const [{ n }] = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM custom_field_value WHERE workspace_id = $1`, [tenant.workspaceId]);
    expect(await renderStoredDisplays(h.db)).toBeGreaterThanOrEqual(n);
    const formats = await h.db.query<{ display_format: number }>(`SELECT DISTINCT display_format FROM custom_field_value WHERE workspace_id = $1`, [tenant.workspaceId]);
    expect(formats).toEqual([{ display_format: rendering!.format }]);
    await same(LIST, { key: program.key, first: 100 });
    // The pass that finished is remembered: the next start does not go over the rows again.
    await h.db.query(`UPDATE custom_field_value SET display_format = NULL WHERE participant_id = $1`, [ids[1]]);
    expect(await renderStoredDisplays(h.db)).toBe(0);
  });
});
