import DataLoader from "dataloader";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import { isUuid } from "../services/validate.js";
import { participantReader, storedValueSql, type ParticipantRow, type StoredValue } from "./participant-reader.js";
import type {
  CustomFieldDefinition,
  LedgerTotal,
  ParticipantTier,
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

export type PersonAttributeWithBucket = PersonAttribute & { bucket: { name: string } };

/**
 * Per-request loaders. They are built on the caller's workspace-scoped client, so a cached row can
 * never serve another tenant, and they die with the request.
 */
export function createLoaders(db: ScopedPrisma, raw: Database, workspaceId: string) {
  const participants = participantReader(raw, workspaceId);
  const everyField = (where: string, ids: string[], orderBy: string) => {
    const params = participants.params();
    return participants.read({ where: [`${where} = ANY(${params.add(ids.filter(isUuid))}::uuid[])`], params, orderBy, customFields: true });
  };
  return {
    participants,
    // Ids that are not UUIDs cannot exist; sent to a uuid column they would fail the whole batch.
    personById: byKey<string, Person>((ids) => db.person.findMany({ where: { id: { in: ids.filter(isUuid) } } }), (p) => p.id),
    personByExternalId: byKey<string, Person>(
      (ids) => db.person.findMany({ where: { externalId: { in: ids } } }),
      (p) => p.externalId!,
    ),
    programById: byKey<string, Program>((ids) => db.program.findMany({ where: { id: { in: ids.filter(isUuid) } } }), (p) => p.id),
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
    // One row per participant, its values folded into one JSON document keyed by field id, as the
    // participant reader folds them: 50 rows to decode for a page instead of 1,000.
    customValuesByParticipantId: new DataLoader<string, Record<string, StoredValue>>(async (ids) => {
      const rows = await raw.query<{ participantId: string; values: string }>(
        `SELECT participant_id AS "participantId", json_object_agg(v.field_id, ${storedValueSql(true)})::text AS values
         FROM custom_field_value v WHERE workspace_id = $1 AND participant_id = ANY($2::uuid[]) GROUP BY participant_id`,
        [workspaceId, ids],
      );
      const byParticipant = new Map(rows.map((row) => [row.participantId, JSON.parse(row.values) as Record<string, StoredValue>]));
      return ids.map((id) => byParticipant.get(id) ?? {});
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
    tiersByParticipantId: groupedByKey<string, ParticipantTier>(
      (ids) => db.participantTier.findMany({ where: { participantId: { in: ids } }, orderBy: { tierType: "asc" } }),
      (t) => t.participantId,
    ),
    /** Participants by id, with their persons and custom values. */
    participantById: byKey<string, ParticipantRow>((ids) => everyField("p.id", ids, "p.id"), (p) => p.id),
    /** Every participation of each person asked for, in one statement, oldest first. */
    participationsOf: groupedByKey<string, ParticipantRow>((ids) => everyField("p.person_id", ids, "p.created_at, p.id"), (p) => p.personId),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
