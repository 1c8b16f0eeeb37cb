import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { codes, createHarness, databaseKind, type Harness, type Tenant } from "./support/harness.js";
import { createPerson, createProgram, enroll, unique } from "./support/fixtures.js";

// SPEC §10: one change per entity a write changed, recorded in the write's transaction, read
// back through the feed and the entities' histories.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const CHANGE = `id sequence entityType entityId operation fields { path before after } actor { id } source requestId version at`;

async function history(tenant: Tenant, personId: string) {
  const { person } = await tenant.ok(`query($id: ID!) { person(id: $id) { changes(first: 50) { totalCount edges { node { ${CHANGE} } } } } }`, { id: personId });
  return person.changes.edges.map((e: any) => e.node);
}

async function participantHistory(tenant: Tenant, id: string) {
  const { participant } = await tenant.ok(`query($id: ID!) { participant(id: $id) { changes(first: 50) { edges { node { ${CHANGE} } } } } }`, { id });
  return participant.changes.edges.map((e: any) => e.node);
}

async function feed(tenant: Tenant, variables: Record<string, unknown> = {}, key?: string) {
  const { changes } = await tenant.ok(
    `query($first: Int, $after: String, $filter: ChangeFilter) { changes(first: $first, after: $after, filter: $filter) {
       totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${CHANGE} } } } }`,
    variables,
    key,
  );
  return changes;
}

const field = (change: any, ...path: string[]) => change.fields.find((f: any) => JSON.stringify(f.path) === JSON.stringify(path));

describe("a change for every write", () => {
  it("records profile, attribute, person-field, tag and identity changes with before and after, actor, source, request id and version", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { definePersonField(input: { key: "tier", label: "Tier", type: TEXT }) { id } }`);
    const person = await createPerson(tenant, { email: "old@example.com", tags: ["a"] });
    const { viewer } = await tenant.ok(`{ viewer { apiKey { id } } }`);
    const response = await h.app.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}`, "x-request-id": "req-42" },
      body: JSON.stringify({
        query: `mutation($id: ID!) { updatePerson(id: $id, input: { email: "new@example.com", addTags: ["b"], attributes: { plan: "pro" },
          customFields: [{ key: "tier", value: "gold" }], identities: [{ system: "crm", id: "C-1" }] }) { version } }`,
        variables: { id: person.id },
      }),
    });
    expect(((await response.json()) as any).errors).toBeUndefined();
    const [updated, created] = await history(tenant, person.id);
    expect(created).toMatchObject({ operation: "CREATED", entityType: "PERSON", entityId: person.id, version: 1, source: "graphql" });
    expect(field(created, "email")).toEqual({ path: ["email"], before: null, after: "old@example.com" });
    expect(updated).toMatchObject({ operation: "UPDATED", version: 2, source: "graphql", requestId: "req-42", actor: { id: viewer.apiKey.id } });
    expect(field(updated, "email")).toEqual({ path: ["email"], before: "old@example.com", after: "new@example.com" });
    expect(field(updated, "tags")).toEqual({ path: ["tags"], before: ["a"], after: ["a", "b"] });
    expect(field(updated, "attributes", "default", "plan")).toEqual({ path: ["attributes", "default", "plan"], before: null, after: "pro" });
    expect(field(updated, "customFields", "tier")).toEqual({ path: ["customFields", "tier"], before: null, after: "gold" });
    expect(field(updated, "identities", "crm")).toEqual({ path: ["identities", "crm"], before: null, after: "C-1" });
    // Bookkeeping columns are not changes.
    expect(updated.fields.map((f: any) => f.path[0])).not.toContain("updatedAt");
    expect(updated.fields.map((f: any) => f.path[0])).not.toContain("version");
  });

  it("records status changes, deletions, participant fields, ledger postings and tiers with their operations", async () => {
    const tenant = await h.workspace();
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    const participant = await enroll(tenant, program.key, { customFields: [{ key: "size", value: "M" }], attributes: { seat: "A1" } });
    await tenant.ok(`mutation($id: ID!) { updateParticipant(id: $id, input: { customFields: [{ key: "size", value: "L" }], attributes: { seat: "B2" } }) { id } }`, { id: participant.id });
    await tenant.ok(`mutation($id: ID!) { setParticipantStatus(id: $id, status: SUSPENDED, reason: "late") { id } }`, { id: participant.id });
    await tenant.ok(`mutation($id: ID!) { postLedgerEntry(input: { participantId: $id, kind: COUNTER, asset: "visits", amount: "2", idempotencyKey: "k1" }) { id } }`, { id: participant.id });
    await tenant.ok(`mutation($id: ID!) { setTier(participantId: $id, tierType: "loyalty", level: "Gold", rank: 2) { id } }`, { id: participant.id });
    const [tier, ledger, status, update, created] = await participantHistory(tenant, participant.id);
    expect(created).toMatchObject({ operation: "CREATED", version: 1 });
    expect(field(created, "customFields", "size")).toMatchObject({ after: "M" });
    expect(update).toMatchObject({ operation: "UPDATED", version: 2 });
    expect(field(update, "customFields", "size")).toEqual({ path: ["customFields", "size"], before: "M", after: "L" });
    expect(field(update, "attributes", "seat")).toEqual({ path: ["attributes", "seat"], before: "A1", after: "B2" });
    expect(status).toMatchObject({ operation: "STATUS_CHANGED", version: 3 });
    expect(field(status, "status")).toEqual({ path: ["status"], before: "ACTIVE", after: "SUSPENDED" });
    // A posting leaves the participant's version as it was (the ledger has its own idempotency).
    expect(ledger).toMatchObject({ operation: "LEDGER_POSTED", version: 3, source: "graphql" });
    // A posting runs on the driver's own transaction: the same writer is recorded.
    expect(ledger.actor).toEqual(update.actor);
    expect(ledger.actor.id).toEqual(expect.any(String));
    expect(ledger.fields[0].after).toMatchObject({ kind: "COUNTER", asset: "visits", idempotencyKey: "k1" });
    expect(tier).toMatchObject({ operation: "TIER_SET" });
    expect(field(tier, "tiers", "loyalty")).toEqual({ path: ["tiers", "loyalty"], before: null, after: { level: "Gold", rank: 2 } });

    await tenant.ok(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id: participant.id });
    const deleted = (await feed(tenant, { first: 100, filter: { entityId: participant.id, operations: ["DELETED"] } })).edges[0].node;
    expect(deleted).toMatchObject({ operation: "DELETED", entityType: "PARTICIPANT" });
    expect(field(deleted, "customFields", "size")).toMatchObject({ before: "L", after: null });
  });

  it("records nothing for a write that changed nothing or was rolled back", async () => {
    const tenant = await h.workspace();
    const person = await createPerson(tenant, { email: "same@example.com" });
    const before = (await feed(tenant, { first: 100 })).totalCount;
    await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { email: "same@example.com" }) { id } }`, { id: person.id });
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, attributes: { plan: null }) { id } }`, { id: person.id });
    // Refused inside the transaction, after the row was written: rolled back, nothing recorded.
    const refused = await tenant.gql(`mutation($id: ID!) { updatePerson(id: $id, input: { firstName: "X", customFields: [{ key: "nope", value: 1 }] }) { id } }`, { id: person.id });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect((await feed(tenant, { first: 100 })).totalCount).toBe(before);
  });

  it("records a dialect's writes with its source, and the command line's with no actor", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { createAttributeBucket(name: "end_user_read_write") { name } }`);
    const person = await createPerson(tenant);
    const response = await h.app.fetch(`http://test/compat/slashid/persons/${person.id}/attributes/end_user_read_write`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}`, "slashid-orgid": tenant.workspaceId, "x-request-id": "slash-1" },
      body: JSON.stringify({ theme: "dark" }),
    });
    expect(response.status).toBe(204);
    const [latest] = await history(tenant, person.id);
    expect(latest).toMatchObject({ source: "rest:slashid", requestId: "slash-1", operation: "UPDATED" });
    expect(field(latest, "attributes", "end_user_read_write", "theme")).toMatchObject({ after: "dark" });
    // The workspace, its default bucket and first key were made by the command line (createWorkspace).
    const { changes } = await tenant.ok(`{ changes(first: 1) { edges { node { entityType source actor { id } } } } }`);
    expect(changes.edges[0].node).toEqual({ entityType: "ATTRIBUTE_BUCKET", source: "cli", actor: null });
  });

  it("records MERGED on both persons of a merge", async () => {
    const tenant = await h.workspace();
    const source = await createPerson(tenant, { email: "dup@example.com" });
    const target = await createPerson(tenant);
    await tenant.ok(`mutation($s: ID!, $t: ID!) { mergePersons(sourceId: $s, targetId: $t) { id } }`, { s: source.id, t: target.id });
    const merged = (await feed(tenant, { first: 100, filter: { operations: ["MERGED"] } })).edges.map((e: any) => e.node);
    expect(merged.map((c: any) => c.entityId).sort()).toEqual([source.id, target.id].sort());
    const onTarget = merged.find((c: any) => c.entityId === target.id);
    expect(field(onTarget, "email")).toEqual({ path: ["email"], before: null, after: "dup@example.com" });
    expect(field(onTarget, "mergedFrom")).toEqual({ path: ["mergedFrom"], before: null, after: source.id });
    expect(field(merged.find((c: any) => c.entityId === source.id), "mergedInto")).toEqual({ path: ["mergedInto"], before: null, after: target.id });
  });

  it("records programs, custom fields, buckets and keys, the last for admin keys only", async () => {
    const tenant = await h.workspace();
    const program = await createProgram(tenant, [{ key: "size", type: "TEXT" }]);
    await tenant.ok(`mutation { createAttributeBucket(name: "crm") { name } }`);
    const reader = await tenant.key(["READ"]);
    const all = (await feed(tenant, { first: 100 })).edges.map((e: any) => e.node);
    expect(all.map((c: any) => `${c.entityType}:${c.operation}`)).toEqual(
      expect.arrayContaining(["PROGRAM:CREATED", "CUSTOM_FIELD:CREATED", "ATTRIBUTE_BUCKET:CREATED", "API_KEY:CREATED"]),
    );
    const programChanges = await feed(tenant, { first: 100, filter: { programKey: program.key } });
    expect(programChanges.edges.map((e: any) => e.node.entityType).sort()).toEqual(["CUSTOM_FIELD", "PROGRAM"]);
    const seenByReader = (await feed(tenant, { first: 100 }, reader)).edges.map((e: any) => e.node.entityType);
    expect(seenByReader).not.toContain("API_KEY");
    expect(seenByReader).toContain("PROGRAM");
  });
});

describe("the feed", () => {
  it("hides the paths of buckets a key may not use", async () => {
    const tenant = await h.workspace();
    await tenant.ok(`mutation { createAttributeBucket(name: "secret") { name } }`);
    const person = await createPerson(tenant);
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, bucket: "secret", attributes: { salary: 1 }) { id } }`, { id: person.id });
    await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { firstName: "Visible", attributes: { plan: "pro" } }) { id } }`, { id: person.id });
    const limited = await tenant.key(["READ"], ["default"]);
    const seen = (await feed(tenant, { first: 100 }, limited)).edges.map((e: any) => e.node);
    const paths = seen.flatMap((c: any) => c.fields.map((f: any) => f.path.join(".")));
    expect(paths).toContain("attributes.default.plan");
    expect(paths.filter((p: string) => p.includes("secret") || p.includes("salary"))).toEqual([]);
    expect(JSON.stringify(seen)).not.toContain("secret");
    // The admin sees it all.
    const admin = (await feed(tenant, { first: 100 })).edges.flatMap((e: any) => e.node.fields.map((f: any) => f.path.join(".")));
    expect(admin).toContain("attributes.secret.salary");
  });

  it("resumed from every cursor while 20 writers commit concurrently, yields every change exactly once", async () => {
    const tenant = await h.workspace();
    const people = await Promise.all(Array.from({ length: 5 }, () => createPerson(tenant)));
    const seen: string[] = [];
    let cursor: string | null = null;
    let writing = true;
    const reader = (async () => {
      // A consumer that stores endCursor and asks again, over and over, while writes land.
      while (writing || cursor === null) {
        const page: any = await feed(tenant, { first: 7, after: cursor });
        seen.push(...page.edges.map((e: any) => e.node.id));
        cursor = page.pageInfo.endCursor ?? cursor;
      }
    })();
    await Promise.all(
      Array.from({ length: 20 }, async (_, writer) => {
        for (let i = 0; i < 5; i++) {
          const person = people[(writer + i) % people.length]!;
          await tenant.ok(`mutation($id: ID!, $v: JSON!) { setAttributes(personId: $id, attributes: { [$v]: true }) { id } }`.replace("{ [$v]: true }", `{ w${writer}_${i}: true }`).replace(", $v: JSON!", ""), { id: person.id });
          await createPerson(tenant);
        }
      }),
    );
    writing = false;
    await reader;
    // Drain what committed last.
    for (;;) {
      const page: any = await feed(tenant, { first: 100, after: cursor });
      seen.push(...page.edges.map((e: any) => e.node.id));
      cursor = page.pageInfo.endCursor ?? cursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    const everything: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await feed(tenant, { first: 100, after });
      everything.push(...page.edges.map((e: any) => e.node.id));
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(everything.length).toBe(5 + 20 * 5 * 2 + 1 + 1);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...everything].sort());
    // Strictly increasing sequences, oldest first.
    const sequences = (await feed(tenant, { first: 100 })).edges.map((e: any) => BigInt(e.node.sequence));
    expect(sequences.every((s: bigint, i: number) => i === 0 || s > sequences[i - 1]!)).toBe(true);
  });

  it.skipIf(databaseKind === "pglite")("waits for a running writer of the workspace, not for transactions of others", async () => {
    const tenant = await h.workspace();
    const other = await h.workspace();
    const session = async () => {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      return client;
    };
    const ids = async () => (await feed(tenant, { first: 100, filter: { entityTypes: ["PERSON"] } })).edges.map((e: any) => e.node.entityId);
    // Another workspace's transaction, running: no matter.
    const elsewhere = await session();
    await elsewhere.query("BEGIN");
    await elsewhere.query("SELECT lock_change_writer($1::uuid), pg_current_xact_id()", [other.workspaceId]);
    const seen = await createPerson(tenant);
    expect(await ids()).toEqual([seen.id]);
    // A writer of this workspace that began first and is still running: what committed after it
    // waits until it ends, so that its changes cannot land behind a cursor.
    const writer = await session();
    await writer.query("BEGIN");
    await writer.query("SELECT lock_change_writer($1::uuid), pg_current_xact_id()", [tenant.workspaceId]);
    const held = await createPerson(tenant);
    expect(await ids()).toEqual([seen.id]);
    await writer.query("COMMIT");
    expect(await ids()).toEqual([seen.id, held.id]);
    await elsewhere.query("ROLLBACK");
    await Promise.all([writer.end(), elsewhere.end()]);
  });

  it("filters by time, entity, operation and kind", async () => {
    const tenant = await h.workspace();
    const first = await createPerson(tenant);
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await createPerson(tenant);
    await tenant.ok(`mutation($id: ID!) { updatePerson(id: $id, input: { firstName: "Changed" }) { id } }`, { id: second.id });
    const ids = async (filter: Record<string, unknown>) => (await feed(tenant, { first: 100, filter })).edges.map((e: any) => `${e.node.entityId}:${e.node.operation}`);
    // The feed shows a change once its horizon has passed it: a transaction of anyone on the
    // server that was running when the feed looked and has just ended holds the horizon back for
    // that moment (change_horizon). Only a tail can be missing, never a change out of order.
    const settled = async (filter: Record<string, unknown>, expected: string[]) => {
      let seen = await ids(filter);
      for (let i = 0; i < 40 && seen.length < expected.length && expected.slice(0, seen.length).join() === seen.join(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await ids(filter);
      }
      expect(seen).toEqual(expected);
    };
    await settled({ entityTypes: ["PERSON"], until: middle.toISOString() }, [`${first.id}:CREATED`]);
    await settled({ entityTypes: ["PERSON"], since: middle.toISOString() }, [`${second.id}:CREATED`, `${second.id}:UPDATED`]);
    await settled({ entityId: second.id, operations: ["UPDATED"] }, [`${second.id}:UPDATED`]);
    expect(await ids({ programKey: "no-such-program" })).toEqual([]);
  });

  it("refuses a cursor that is not one of the feed's", async () => {
    const tenant = await h.workspace();
    const response = await tenant.gql(`{ changes(after: "bm9wZQ") { totalCount } }`);
    expect(codes(response)).toEqual(["BAD_USER_INPUT"]);
    expect(response.errors![0]!.extensions.fieldErrors).toEqual([{ path: ["after"], message: expect.any(String) }]);
  });

  it("is a node: node(id:) finds a change", async () => {
    const tenant = await h.workspace();
    const person = await createPerson(tenant);
    const [created] = await history(tenant, person.id);
    const { node } = await tenant.ok(`query($id: ID!) { node(id: $id) { ... on Change { id operation entityId } } }`, { id: created.id });
    expect(node).toEqual({ id: created.id, operation: "CREATED", entityId: person.id });
  });
});

export { unique };
