import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, request, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll, unique } from "./support/fixtures.js";

// Holes found by attacking the running server: each case here failed before its fix.
let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Security");
  await tenant.ok(`mutation { createAttributeBucket(name: "secret") { name } }`);
});
afterAll(() => h.close());

const SET = `mutation($id: ID!, $bucket: String!, $a: JSONObject!) { setAttributes(personId: $id, bucket: $bucket, attributes: $a) { id } }`;

describe("bucket rules apply to every path that reads a bucket", () => {
  it("a restricted key cannot filter people by a bucket it may not read", async () => {
    const person = await createPerson(tenant);
    await tenant.ok(SET, { id: person.id, bucket: "secret", a: { ssn: "123-45-6789" } });
    const limited = await tenant.key(["READ"], ["default"]);
    const query = `query($f: PersonFilter) { people(filter: $f) { totalCount } }`;
    const filter = { attributes: [{ bucket: "secret", key: "ssn", equals: "123-45-6789" }] };
    const refused = await tenant.gql(query, { f: filter }, limited);
    expect(codes(refused)).toEqual(["FORBIDDEN"]);
    expect(refused.data).toBeNull();
    // The admin key may, and finds the person.
    expect((await tenant.ok(query, { f: filter })).people.totalCount).toBe(1);
  });

  it("a restricted key learns nothing about bucket names outside its list", async () => {
    const person = await createPerson(tenant);
    const limited = await tenant.key(["WRITE"], ["default"]);
    for (const bucket of ["secret", "no-such-bucket"]) {
      expect(codes(await tenant.gql(SET, { id: person.id, bucket, a: { x: 1 } }, limited))).toEqual(["FORBIDDEN"]);
      const read = await tenant.gql(`query($id: ID!, $b: String!) { person(id: $id) { attributes(bucket: $b) } }`, { id: person.id, b: bucket }, limited);
      expect(codes(read)).toEqual(["FORBIDDEN"]);
    }
    // An unrestricted key still tells a missing bucket apart.
    expect(codes(await tenant.gql(SET, { id: person.id, bucket: "no-such-bucket", a: { x: 1 } }))).toEqual(["NOT_FOUND"]);
  });

  it("a participant filter refuses a bucket instead of ignoring it", async () => {
    const program = await createProgram(tenant);
    await enroll(tenant, program.key, { attributes: { vip: true } });
    const query = `query($k: String!, $f: ParticipantFilter) { participants(programKey: $k, filter: $f) { totalCount } }`;
    const refused = await tenant.gql(query, { k: program.key, f: { attributes: [{ bucket: "secret", key: "vip", equals: true }] } });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(refused.errors![0]!.extensions.fieldErrors[0].path).toEqual(["filter", "attributes", "0", "bucket"]);
    expect((await tenant.ok(query, { k: program.key, f: { attributes: [{ key: "vip", equals: true }] } })).participants.totalCount).toBe(1);
  });
});

describe("API keys", () => {
  const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { scopes buckets } } }`;

  it("a bucket-restricted admin key cannot mint a key with more buckets", async () => {
    const restrictedAdmin = await tenant.key(["ADMIN"], ["default"]);
    for (const buckets of [undefined, null, ["default", "secret"], ["secret"]]) {
      const response = await tenant.gql(CREATE, { input: { name: "escalate", scopes: ["READ"], buckets } }, restrictedAdmin);
      expect(codes(response), JSON.stringify(buckets)).toEqual(["FORBIDDEN"]);
    }
    const ok = await tenant.ok(CREATE, { input: { name: "narrow", scopes: ["READ"], buckets: ["default"] } }, restrictedAdmin);
    expect(ok.createApiKey.apiKey).toEqual({ scopes: ["READ"], buckets: ["default"] });
    const before = await h.db.prisma.apiKey.count({ where: { workspaceId: tenant.workspaceId } });
    expect(before).toBeGreaterThan(1);
  });
});

describe("upsertPerson validates its external id", () => {
  it("refuses a 300-character external id and creates nothing", async () => {
    const before = await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } });
    const response = await tenant.gql(`mutation($x: String!) { upsertPerson(externalId: $x, input: { firstName: "A" }) { id externalId } }`, {
      x: "x".repeat(300),
    });
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(await h.db.prisma.person.count({ where: { workspaceId: tenant.workspaceId } })).toBe(before);
  });
});

describe("variables inside JSON literals", () => {
  it("keeps every key of an attributes literal that holds variables", async () => {
    const person = await createPerson(tenant);
    const { setAttributes } = await tenant.ok(
      `mutation($id: ID!, $v: JSON, $n: Int) { setAttributes(personId: $id, attributes: { newKey: $v, lit: 1, nested: { n: $n, list: [$v, 2] } }) { attributes } }`,
      { id: person.id, v: "from a variable", n: 7 },
    );
    expect(setAttributes.attributes).toEqual({ newKey: "from a variable", lit: 1, nested: { n: 7, list: ["from a variable", 2] } });
  });

  it("keeps them in a participant update and in a filter literal", async () => {
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    const participant = await enroll(tenant, program.key);
    const { updateParticipant } = await tenant.ok(
      `mutation($id: ID!, $v: JSON) { updateParticipant(id: $id, input: { attributes: { a: $v, b: 2 }, customFields: [{ key: "size", value: $v }] }) { attributes customFields { value } } }`,
      { id: participant.id, v: "XL" },
    );
    expect(updateParticipant).toEqual({ attributes: { a: "XL", b: 2 }, customFields: [{ value: "XL" }] });
    const { participants } = await tenant.ok(
      `query($k: String!, $v: JSON!) { participants(programKey: $k, filter: { attributes: [{ key: "a", equals: $v }] }) { totalCount } }`,
      { k: program.key, v: "XL" },
    );
    expect(participants.totalCount).toBe(1);
  });
});

describe("client mistakes are client errors, never a 500", () => {
  async function expectClientError(query: string, variables: Record<string, unknown> = {}, code = "BAD_USER_INPUT") {
    const response = await tenant.gql(query, variables);
    expect(response.status, JSON.stringify(response.errors)).toBeLessThan(500);
    expect(codes(response), JSON.stringify(response.errors)).toEqual([code]);
    return response;
  }

  it("refuses NUL escapes inside string literals", async () => {
    const person = await createPerson(tenant);
    await expectClientError(`mutation { createPerson(input: { firstName: "a\\u0000b" }) { id } }`);
    await expectClientError(`mutation { updatePerson(id: "${person.id}", input: { location: { city: "x\\u0000" } }) { id } }`);
    await expectClientError(`mutation { setAttributes(personId: "${person.id}", attributes: { "k": "\\u0000" }) { id } }`);
    await expectClientError(`{ person(email: "\\u0000") { id } }`);
    await expectClientError(`mutation { createPerson(input: { firstName: "\\ud800" }) { id } }`);
  });

  it("refuses DateTime values PostgreSQL cannot hold", async () => {
    const person = await createPerson(tenant);
    for (const at of ["0000-01-01T00:00:00Z", "+275760-09-13T00:00:00Z"]) {
      await expectClientError(`mutation($id: ID!, $at: DateTime) { updatePerson(id: $id, input: { lastSeenAt: $at }) { id } }`, { id: person.id, at });
      await expectClientError(`mutation($id: ID!) { updatePerson(id: $id, input: { lastSeenAt: "${at}" }) { id } }`, { id: person.id });
    }
  });

  it("refuses forged cursors", async () => {
    const program = await createProgram(tenant);
    await enroll(tenant, program.key);
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const page = `query($k: String!, $after: String, $o: ParticipantOrder) { participants(programKey: $k, after: $after, orderBy: $o) { totalCount } }`;
    const people = `query($after: String, $o: PersonOrder) { people(after: $after, orderBy: $o) { totalCount } }`;
    const bad = [
      forge([99999999999, "00000000-0000-4000-8000-000000000000"]),
      forge([1, "------------------------------------"]),
      forge(["+275760-09-13T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"]),
      forge(["0000-01-01T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"]),
      forge({}),
      "not base64 at all!",
    ];
    for (const after of bad) {
      await expectClientError(page, { k: program.key, after });
      await expectClientError(page, { k: program.key, after, o: { field: "CREATED_AT" } });
      await expectClientError(people, { after });
    }
  });

  it("refuses the same custom field twice in one update", async () => {
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    const participant = await enroll(tenant, program.key);
    const response = await expectClientError(
      `mutation($id: ID!) { updateParticipant(id: $id, input: { customFields: [{ key: "size", value: "S" }, { key: "size", value: "L" }] }) { id } }`,
      { id: participant.id },
    );
    expect(response.errors![0]!.extensions.fieldErrors[0].path).toEqual(["input", "customFields", "size"]);
  });

  it("refuses a ledger entry that would overflow its running total", async () => {
    const program = await createProgram(tenant);
    const participant = await enroll(tenant, program.key);
    const post = `mutation($id: ID!, $k: String!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "points", amount: "99999999999999999999", idempotencyKey: $k }) { id } }`;
    await tenant.ok(post, { id: participant.id, k: "one" });
    await expectClientError(post, { id: participant.id, k: "two" });
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { counters { value } ledger { totalCount } } }`, { id: participant.id });
    expect(read).toEqual({ counters: [{ value: "99999999999999999999" }], ledger: { totalCount: 1 } });
  });

  it("refuses attributes nested too deep", async () => {
    const person = await createPerson(tenant);
    // Written by hand: JSON.stringify itself cannot nest this deep.
    const deep = `${'{"d":'.repeat(5_000)}"leaf"${"}".repeat(5_000)}`;
    const body = `{"query":${JSON.stringify(SET)},"variables":{"id":"${person.id}","bucket":"default","a":{"deep":${deep}}}}`;
    const response = await h.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body,
    });
    expect(response.status).toBeLessThan(500);
    const result = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(result.errors.map((e) => e.extensions.code)).toEqual(["BAD_USER_INPUT"]);
    let fine: unknown = "leaf";
    for (let i = 0; i < 30; i++) fine = [fine];
    await tenant.ok(SET, { id: person.id, bucket: "default", a: { fine } });
  });

  it("answers malformed _entities representations without losing the good ones", async () => {
    const person = await createPerson(tenant);
    const response = await tenant.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id } } }`,
      {
        r: [
          { __typename: "Person", id: person.id },
          { __typename: "Person", id: "not-a-uuid" },
          { __typename: "Person", id: 42 },
          { __typename: "Person" },
          { __typename: "Participant", id: "00000000-0000-4000-8000-000000000000" },
          { __typename: "Nope", id: person.id },
          { __typename: "Person", externalId: { $gt: "" } },
        ],
      },
    );
    expect(response.status, JSON.stringify(response.errors)).toBe(200);
    expect(response.data!._entities[0]).toEqual({ id: person.id });
    expect(response.data!._entities[1]).toBeNull();
    expect(response.data!._entities[4]).toBeNull();
    for (const error of response.errors ?? []) expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(response.errors?.length).toBeGreaterThan(0);
  });

  it("a write racing a delete of its participant is NOT_FOUND", async () => {
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    for (let round = 0; round < 5; round++) {
      const participant = await enroll(tenant, program.key);
      const writes = [
        tenant.gql(`mutation($id: ID!, $k: String!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "p", amount: "1", idempotencyKey: $k }) { id } }`, { id: participant.id, k: unique("k") }),
        tenant.gql(`mutation($id: ID!) { setTier(participantId: $id, tierType: "status", level: "gold", rank: 1) { id } }`, { id: participant.id }),
        tenant.gql(`mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["a"], customFields: [{ key: "size", value: "M" }] }) { id } }`, { id: participant.id }),
        tenant.gql(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: participant.id }),
      ];
      for (const response of await Promise.all(writes)) {
        expect(response.status, JSON.stringify(response.errors)).toBe(200);
        expect(codes(response).filter((c) => c !== "NOT_FOUND"), JSON.stringify(response.errors)).toEqual([]);
      }
    }
  });
});

describe("cursors belong to their ordering", () => {
  it("refuses a CREATED_AT cursor given to a LAST_NAME ordering", async () => {
    const program = await createProgram(tenant);
    await enroll(tenant, program.key);
    await enroll(tenant, program.key);
    const page = `query($k: String!, $after: String, $o: ParticipantOrder) { participants(programKey: $k, first: 1, after: $after, orderBy: $o) { pageInfo { endCursor } } }`;
    const first = await tenant.ok(page, { k: program.key, o: { field: "CREATED_AT" } });
    const cursor = first.participants.pageInfo.endCursor;
    expect(codes(await tenant.gql(page, { k: program.key, after: cursor, o: { field: "LAST_NAME" } }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await tenant.gql(page, { k: program.key, after: cursor, o: { field: "CREATED_AT", direction: "DESC" } }))).toEqual(["BAD_USER_INPUT"]);
    await tenant.ok(page, { k: program.key, after: cursor, o: { field: "CREATED_AT" } });
    const people = `query($after: String, $o: PersonOrder) { people(first: 1, after: $after, orderBy: $o) { pageInfo { endCursor } } }`;
    const personCursor = (await tenant.ok(people, { o: { field: "EMAIL" } })).people.pageInfo.endCursor;
    expect(codes(await tenant.gql(people, { after: personCursor, o: { field: "LAST_NAME" } }))).toEqual(["BAD_USER_INPUT"]);
    // Nor does a cursor of people page participants.
    expect(codes(await tenant.gql(page, { k: program.key, after: personCursor }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("person(email:)", () => {
  it("takes % and _ literally", async () => {
    const other = await h.workspace("Email wildcards");
    await createPerson(other, { email: "ab@example.com" });
    for (const email of ["%", "_b@example.com", "a%"]) {
      expect((await other.ok(`query($e: String!) { person(email: $e) { id } }`, { e: email })).person).toBeNull();
    }
    expect((await other.ok(`{ person(email: "AB@example.com") { email } }`)).person).toEqual({ email: "ab@example.com" });
  });
});

describe("races", () => {
  it("ten concurrent first setTier of one tier type all succeed", async () => {
    const program = await createProgram(tenant);
    const participant = await enroll(tenant, program.key);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        tenant.gql(`mutation($id: ID!, $r: Int!) { setTier(participantId: $id, tierType: "loyalty", level: "gold", rank: $r) { id } }`, { id: participant.id, r: i }),
      ),
    );
    expect(responses.flatMap(codes)).toEqual([]);
    const { participant: read } = await tenant.ok(`query($id: ID!) { participant(id: $id) { tiers { tierType } ledger { totalCount } } }`, { id: participant.id });
    expect(read).toEqual({ tiers: [{ tierType: "loyalty" }], ledger: { totalCount: 10 } });
  });
});

describe("errors are normalised in every response", () => {
  it("batched responses carry codes on limit errors", async () => {
    const response = await h.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify([{ query: "{ viewer { workspace { id } } }" }, { query: "{ nope }" }, { query: "{ " }]),
    });
    const results = (await response.json()) as { errors?: { extensions?: { code?: string } }[] }[];
    expect(results).toHaveLength(3);
    expect(results[0]!.errors).toBeUndefined();
    expect(results[1]!.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
    expect(results[2]!.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("no X-SQL-Statements header unless asked for", async () => {
    const response = await request(h.app, "{ viewer { workspace { id } } }", {}, { authorization: `Bearer ${tenant.adminKey}` });
    expect(response.headers.get("x-sql-statements")).toBeNull();
  });
});
