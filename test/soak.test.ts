import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { createProgram, enroll } from "./support/fixtures.js";

// Mixed concurrent writes, then an audit: every acknowledged write is there, and no rejected one.
// Short here; `npm run soak` runs it for SOAK_SECONDS (default 300).
const SECONDS = Number(process.env.SOAK_SECONDS ?? 4);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 16);

let h: Harness;
let tenant: Tenant;
let programKey: string;
const participants: { id: string; personId: string }[] = [];

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Soak");
  programKey = (await createProgram(tenant, [{ key: "n", type: "NUMBER" }])).key;
  for (let i = 0; i < 10; i++) {
    const p = await enroll(tenant, programKey);
    participants.push({ id: p.id, personId: p.person.id });
  }
});
afterAll(() => h.close());

interface Ledger {
  personKeys: Map<string, { personId: string; value: number }>;
  participantKeys: Map<string, { participantId: string; acknowledged: boolean }>;
  enrolled: Map<string, boolean>;
  deleted: Set<string>;
  entries: Map<string, { participantId: string; acknowledged: boolean }>;
  operations: number;
  unexpected: string[];
}

describe("soak", () => {
  it(`keeps every acknowledged write and no rejected one (${WORKERS} writers, ${SECONDS}s)`, { timeout: (SECONDS + 120) * 1000 }, async () => {
    const log: Ledger = { personKeys: new Map(), participantKeys: new Map(), enrolled: new Map(), deleted: new Set(), entries: new Map(), operations: 0, unexpected: [] };
    const deletable: string[] = [];
    const until = Date.now() + SECONDS * 1000;
    let seq = 0;
    const pick = <T,>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

    async function operation() {
      const n = ++seq;
      const target = pick(participants);
      switch (n % 6) {
        case 0: {
          const key = `k${n}`;
          const r = await tenant.gql(`mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id } }`, { id: target.personId, a: { [key]: n } });
          if (!r.errors) log.personKeys.set(key, { personId: target.personId, value: n });
          else log.unexpected.push(JSON.stringify(r.errors));
          break;
        }
        case 1:
        case 2: {
          // Every other update carries one invalid custom value: the whole update must vanish.
          const key = `p${n}`;
          const valid = n % 2 === 0;
          const r = await tenant.gql(`mutation($id: ID!, $input: UpdateParticipantInput!) { updateParticipant(id: $id, input: $input) { id } }`, {
            id: target.id,
            input: { attributes: { [key]: n }, customFields: [{ key: "n", value: valid ? n : "not a number" }] },
          });
          log.participantKeys.set(key, { participantId: target.id, acknowledged: !r.errors });
          if (valid === Boolean(r.errors)) log.unexpected.push(`update ${n}: ${JSON.stringify(r.errors)}`);
          break;
        }
        case 3: {
          const externalId = `soak-${n}`;
          const r = await tenant.gql(`mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { id } }`, {
            input: { programKey, externalId, person: { externalId, firstName: "Soak" } },
          });
          log.enrolled.set(externalId, !r.errors);
          if (r.errors) log.unexpected.push(JSON.stringify(r.errors));
          else deletable.push(r.data!.enrollParticipant.id);
          break;
        }
        case 4: {
          const id = deletable.pop();
          if (!id) break;
          const r = await tenant.gql(`mutation($id: ID!) { deleteParticipant(id: $id) { deletedId } }`, { id });
          if (!r.errors) log.deleted.add(id);
          else log.unexpected.push(JSON.stringify(r.errors));
          break;
        }
        case 5: {
          const key = `e${n}`;
          const r = await tenant.gql(`mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id } }`, {
            input: { participantId: target.id, kind: "COUNTER", asset: "ops", amount: "1", idempotencyKey: key },
          });
          log.entries.set(key, { participantId: target.id, acknowledged: !r.errors });
          if (r.errors) log.unexpected.push(JSON.stringify(r.errors));
          break;
        }
      }
      log.operations++;
    }

    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < until) await operation();
      }),
    );
    expect(log.unexpected).toEqual([]);
    expect(log.operations).toBeGreaterThan(WORKERS);

    // The audit reads the database directly.
    const db = h.db.prisma;
    const attributes = await db.personAttribute.findMany({ where: { workspaceId: tenant.workspaceId } });
    const stored = new Map(attributes.map((a) => [a.key, a]));
    for (const [key, { personId, value }] of log.personKeys) {
      expect(stored.get(key)?.personId, key).toBe(personId);
      expect(stored.get(key)?.value, key).toBe(value);
    }
    const rows = await db.participant.findMany({ where: { workspaceId: tenant.workspaceId } });
    const attributesOf = new Map(rows.map((p) => [p.id, p.attributes as Record<string, unknown>]));
    for (const [key, { participantId, acknowledged }] of log.participantKeys) {
      expect(key in (attributesOf.get(participantId) ?? {}), `${key} acknowledged=${acknowledged}`).toBe(acknowledged);
    }
    const byExternalId = new Map(rows.map((p) => [p.externalId, p]));
    for (const [externalId, acknowledged] of log.enrolled) {
      const row = byExternalId.get(externalId);
      if (!acknowledged) expect(row, externalId).toBeUndefined();
      else if (row) expect(log.deleted.has(row.id)).toBe(false);
    }
    for (const id of log.deleted) expect(rows.some((p) => p.id === id), id).toBe(false);
    const survivors = [...log.enrolled].filter(([, ok]) => ok).length - log.deleted.size;
    expect(rows.length).toBe(participants.length + survivors);
    const entries = await db.ledgerEntry.findMany({ where: { workspaceId: tenant.workspaceId } });
    const keys = new Set(entries.map((e) => e.idempotencyKey));
    for (const [key, { acknowledged }] of log.entries) expect(keys.has(key), key).toBe(acknowledged);
    const totals = await db.ledgerTotal.findMany({ where: { workspaceId: tenant.workspaceId, asset: "ops" } });
    for (const total of totals) {
      const posted = entries.filter((e) => e.participantId === total.participantId && e.asset === "ops").length;
      expect(total.amount.toString()).toBe(String(posted));
    }
  });
});
