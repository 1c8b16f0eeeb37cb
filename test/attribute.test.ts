import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createPerson } from "./support/fixtures.js";

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Attributes");
  await tenant.ok(`mutation { createAttributeBucket(name: "billing", description: "Billing data") { name } }`);
  await tenant.ok(`mutation { createAttributeBucket(name: "secret") { name } }`);
});
afterAll(() => h.close());

const SET = `mutation($id: ID!, $bucket: String!, $a: JSONObject!) { setAttributes(personId: $id, bucket: $bucket, attributes: $a) { version attributes(bucket: $bucket) } }`;

describe("setAttributes", () => {
  it("merges into the named bucket: untouched keys stay, null removes, buckets are separate", async () => {
    const person = await createPerson(tenant);
    await tenant.ok(SET, { id: person.id, bucket: "billing", a: { plan: "pro", seats: 3, vat: "GB1" } });
    const { setAttributes } = await tenant.ok(SET, { id: person.id, bucket: "billing", a: { seats: 5, vat: null, tags: ["a", { b: 1 }] } });
    expect(setAttributes).toEqual({ version: 3, attributes: { plan: "pro", seats: 5, tags: ["a", { b: 1 }] } });
    const { person: read } = await tenant.ok(`query($id: ID!) { person(id: $id) { attributes billing: attributes(bucket: "billing") } }`, { id: person.id });
    expect(read).toEqual({ attributes: {}, billing: { plan: "pro", seats: 5, tags: ["a", { b: 1 }] } });
  });

  it("checks keys (1–70 bytes) and values (≤ 64 KiB) and writes nothing when one is wrong", async () => {
    const person = await createPerson(tenant);
    const cases = [
      { ["é".repeat(36)]: 1 }, // 72 bytes
      { "": 1 },
      { big: "x".repeat(64 * 1024) },
    ];
    for (const a of cases) {
      const response = await tenant.gql(SET, { id: person.id, bucket: "default", a: { ok: true, ...a } });
      expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
      expect(response.errors![0]!.extensions.fieldErrors[0].path[0]).toBe("attributes");
    }
    const fits = { ["k".repeat(70)]: "x".repeat(64 * 1024 - 2) };
    expect((await tenant.ok(SET, { id: person.id, bucket: "default", a: fits })).setAttributes.attributes).toEqual(fits);
    expect(await h.db.prisma.personAttribute.count({ where: { personId: person.id, key: "ok" } })).toBe(0);
  });

  it("is NOT_FOUND for an unknown bucket or person", async () => {
    const person = await createPerson(tenant);
    expect(codes(await tenant.gql(SET, { id: person.id, bucket: "nope", a: { a: 1 } }))).toEqual(["NOT_FOUND"]);
    expect(codes(await tenant.gql(SET, { id: "00000000-0000-4000-8000-000000000000", bucket: "default", a: { a: 1 } }))).toEqual(["NOT_FOUND"]);
  });

  it("honours a key's bucket access, for writes and reads", async () => {
    const person = await createPerson(tenant);
    await tenant.ok(SET, { id: person.id, bucket: "secret", a: { pin: 1234 } });
    const limited = await tenant.key(["WRITE"], ["default", "billing"]);
    expect(codes(await tenant.gql(SET, { id: person.id, bucket: "secret", a: { pin: 0 } }, limited))).toEqual(["FORBIDDEN"]);
    expect(codes(await tenant.gql(`query($id: ID!) { person(id: $id) { attributes(bucket: "secret") } }`, { id: person.id }, limited))).toEqual(["FORBIDDEN"]);
    expect((await tenant.ok(`{ attributeBuckets { name } }`, {}, limited)).attributeBuckets).toEqual([{ name: "billing" }, { name: "default" }]);
    expect((await tenant.ok(`{ attributeBuckets { name description } }`)).attributeBuckets).toEqual([
      { name: "billing", description: "Billing data" },
      { name: "default", description: "Every workspace's bucket." },
      { name: "secret", description: null },
    ]);
    expect((await tenant.ok(`query($id: ID!) { person(id: $id) { attributes(bucket: "secret") } }`, { id: person.id })).person.attributes).toEqual({ pin: 1234 });
  });

  it("keeps all 100 keys written by 100 concurrent calls to one person and bucket", async () => {
    const person = await createPerson(tenant);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => tenant.gql(SET, { id: person.id, bucket: "billing", a: { [`k${i}`]: i } })),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const { person: read } = await tenant.ok(`query($id: ID!) { person(id: $id) { version attributes(bucket: "billing") } }`, { id: person.id });
    expect(read.attributes).toEqual(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])));
    expect(read.version).toBe(101);
  });
});

describe("createAttributeBucket", () => {
  it("is for admin keys only, and a name is unique per workspace", async () => {
    const writer = await tenant.key(["WRITE"]);
    expect(codes(await tenant.gql(`mutation { createAttributeBucket(name: "w") { name } }`, {}, writer))).toEqual(["FORBIDDEN"]);
    expect(codes(await tenant.gql(`mutation { createAttributeBucket(name: "billing") { name } }`))).toEqual(["CONFLICT"]);
    expect(codes(await tenant.gql(`mutation { createAttributeBucket(name: "Bad Name") { name } }`))).toEqual(["BAD_USER_INPUT"]);
  });
});
