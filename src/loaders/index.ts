import DataLoader from "dataloader";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import type {
  CustomFieldDefinition,
  CustomFieldValue,
  LedgerTotal,
  Participant,
  Person,
  PersonAttribute,
  Program,
} from "../generated/prisma/client.js";

/** One statement for all the keys a request asks for in the same tick; rows back in key order. */
function byKey<K extends string, V>(load: (keys: K[]) => Promise<V[]>, keyOf: (row: V) => K) {
  return new DataLoader<K, V | null, K>(async (keys) => {
    const rows = await load([...keys]);
    const map = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => map.get(key) ?? null);
  });
}

function groupedByKey<K extends string, V>(load: (keys: K[]) => Promise<V[]>, keyOf: (row: V) => K) {
  return new DataLoader<K, V[], K>(async (keys) => {
    const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const row of await load([...keys])) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key)!);
  });
}

function memoize<A extends object, R>(make: (arg: A) => R): (arg: A) => R {
  const made = new Map<string, R>();
  return (arg) => {
    const key = JSON.stringify(arg);
    let value = made.get(key);
    if (!value) made.set(key, (value = make(arg)));
    return value;
  };
}

export type PersonAttributeWithBucket = PersonAttribute & { bucket: { name: string } };

/**
 * Per-request loaders. They are built on the caller's workspace-scoped client, so a cached row can
 * never serve another tenant, and they die with the request.
 */
export function createLoaders(db: ScopedPrisma, raw: Pick<Database, "query">, workspaceId: string) {
  return {
    personById: byKey<string, Person>((ids) => db.person.findMany({ where: { id: { in: ids } } }), (p) => p.id),
    personByExternalId: byKey<string, Person>(
      (ids) => db.person.findMany({ where: { externalId: { in: ids } } }),
      (p) => p.externalId!,
    ),
    programById: byKey<string, Program>((ids) => db.program.findMany({ where: { id: { in: ids } } }), (p) => p.id),
    // Definitions and values are read with plain SQL: a page of participants has a thousand
    // values, and Prisma's per-row mapping cost more than the statements. Raw SQL is not scoped,
    // so the workspace is named in each statement.
    customFieldsByProgramId: groupedByKey<string, CustomFieldDefinition>(
      (ids) =>
        raw.query<CustomFieldDefinition>(
          `SELECT id, workspace_id AS "workspaceId", program_id AS "programId", key, label, type, required, options, description,
                  archived, created_at AS "createdAt", updated_at AS "updatedAt"
           FROM custom_field_definition WHERE workspace_id = $1 AND program_id = ANY($2::uuid[]) ORDER BY created_at, key`,
          [workspaceId, ids],
        ),
      (f) => f.programId,
    ),
    // One row per participant, its values folded into one JSON document: a page of 50
    // participants with 20 values each is 50 rows to decode instead of 1,000.
    customValuesByParticipantId: new DataLoader<string, CustomFieldValue[]>(async (ids) => {
      const rows = await raw.query<{ participantId: string; values: string }>(
        `SELECT participant_id AS "participantId",
                json_agg(json_build_array(field_id, value, (extract(epoch FROM updated_at) * 1000)::bigint))::text AS values
         FROM custom_field_value WHERE workspace_id = $1 AND participant_id = ANY($2::uuid[]) GROUP BY participant_id`,
        [workspaceId, ids],
      );
      const byParticipant = new Map(
        rows.map((row) => [
          row.participantId,
          (JSON.parse(row.values) as [string, unknown, number][]).map(([fieldId, value, updatedAt]) => ({
            workspaceId,
            participantId: row.participantId,
            fieldId,
            value,
            updatedAt: new Date(updatedAt),
          })) as CustomFieldValue[],
        ]),
      );
      return ids.map((id) => byParticipant.get(id) ?? []);
    }),
    attributesByPersonId: groupedByKey<string, PersonAttributeWithBucket>(
      (ids) =>
        db.personAttribute.findMany({
          where: { personId: { in: ids } },
          include: { bucket: { select: { name: true } } },
          orderBy: { key: "asc" },
        }),
      (a) => a.personId,
    ),
    ledgerTotalsByParticipantId: groupedByKey<string, LedgerTotal>(
      (ids) => db.ledgerTotal.findMany({ where: { participantId: { in: ids } }, orderBy: [{ asset: "asc" }, { bucket: "asc" }] }),
      (t) => t.participantId,
    ),
    /** Participants by id, loaded with `query`'s relations (`{}` for none). */
    participantByIdWith: memoize((query: object) =>
      byKey<string, Participant>(
        (ids) => db.participant.findMany({ ...query, where: { id: { in: ids } } }) as Promise<Participant[]>,
        (p) => p.id,
      ),
    ),
    /**
     * Every participation of each person asked for, in one statement, with the relations the
     * query selected. One loader per distinct selection, since rows are loaded to fit it.
     */
    participationsOf: memoize((query: object) =>
      groupedByKey<string, Participant>(
        (ids) =>
          db.participant.findMany({
            ...query,
            where: { personId: { in: ids } },
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          }) as Promise<Participant[]>,
        (p) => p.personId,
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
