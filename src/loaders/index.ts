import DataLoader from "dataloader";
import { lazyOf } from "../lazy.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { ApiKey, CustomFieldDefinition, LedgerTotal, ParticipantTier, Person, PersonAttribute, PersonFieldValue, PersonIdentity, Program } from "../generated/prisma/client.js";
import { isUuid } from "../services/validate.js";
import type { ChangeRow } from "../stores/change-store.js";
import type { Stores } from "../stores/index.js";
import { EVERYTHING, type ParticipantRow, type StoredValue } from "../stores/participant-store.js";

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

// Ids that are not UUIDs cannot exist; sent to a uuid column they would fail the whole batch.
const uuids = (ids: string[]) => ids.filter(isUuid);

/**
 * Per-request batching of look-ups by key. They read through the caller's workspace-scoped
 * client and stores, so a cached row can never serve another tenant, and they die with the request.
 */
export function createLoaders(db: ScopedPrisma, stores: Stores): Loaders {
  return new LazyLoaders({ db, stores });
}

type Sources = { db: ScopedPrisma; stores: Stores };

// Each made on its first use in a request: most requests use one or two.
const LazyLoaders = lazyOf({
  apiKeyById: ({ db }: Sources) => byKey<string, ApiKey>((ids) => db.apiKey.findMany({ where: { id: { in: uuids(ids) } } }), (k) => k.id),
  changeById: ({ stores }: Sources) => byKey<string, ChangeRow>((ids) => stores.changes.byIds(uuids(ids)), (c) => c.id),
  personById: ({ stores }: Sources) => byKey<string, Person>((ids) => stores.persons.byIds(uuids(ids)), (p) => p.id),
  personByExternalId: ({ stores }: Sources) => byKey<string, Person>((ids) => stores.persons.byExternalIds([...ids]), (p) => p.externalId!),
  programById: ({ db }: Sources) => byKey<string, Program>((ids) => db.program.findMany({ where: { id: { in: uuids(ids) } } }), (p) => p.id),
  customFieldsByProgramId: ({ stores }: Sources) => groupedByKey<string, CustomFieldDefinition>((ids) => stores.customFields.definitionsOf(uuids(ids)), (f) => f.programId!),
  customValuesByParticipantId: ({ stores }: Sources) => new DataLoader<string, Record<string, StoredValue>>(async (ids) => {
    const values = await stores.customFields.valuesOf(uuids([...ids]));
    return ids.map((id) => values.get(id) ?? {});
  }),
  /** The workspace's person fields (one key, "all": one statement a request). */
  personFields: ({ db }: Sources) => new DataLoader<"all", CustomFieldDefinition[]>(async (keys) => {
    const fields = await db.customFieldDefinition.findMany({ where: { programId: null }, orderBy: [{ createdAt: "asc" }, { key: "asc" }] });
    return keys.map(() => fields);
  }),
  personFieldValuesByPersonId: ({ db }: Sources) => groupedByKey<string, PersonFieldValue>(
    (ids) => db.personFieldValue.findMany({ where: { personId: { in: uuids(ids) } } }),
    (v) => v.personId,
  ),
  identitiesByPersonId: ({ db }: Sources) => groupedByKey<string, PersonIdentity>(
    (ids) => db.personIdentity.findMany({ where: { personId: { in: uuids(ids) } }, orderBy: { system: "asc" } }),
    (i) => i.personId,
  ),
  attributesByPersonId: ({ db }: Sources) => groupedByKey<string, PersonAttributeWithBucket>(
    (ids) =>
      db.personAttribute.findMany({ where: { personId: { in: ids } }, include: { bucket: { select: { name: true } } }, orderBy: { key: "asc" } }),
    (a) => a.personId,
  ),
  ledgerTotalsByParticipantId: ({ db }: Sources) => groupedByKey<string, LedgerTotal>(
    (ids) => db.ledgerTotal.findMany({ where: { participantId: { in: ids } }, orderBy: [{ asset: "asc" }, { bucket: "asc" }] }),
    (t) => t.participantId,
  ),
  tiersByParticipantId: ({ db }: Sources) => groupedByKey<string, ParticipantTier>(
    (ids) => db.participantTier.findMany({ where: { participantId: { in: ids } }, orderBy: { tierType: "asc" } }),
    (t) => t.participantId,
  ),
  /** Participants by id, with their persons and custom values. */
  participantById: ({ stores }: Sources) => byKey<string, ParticipantRow>((ids) => stores.participants.find({ ids: uuids(ids) }, EVERYTHING), (p) => p.id),
  /** Every participation of each person asked for, in one statement, oldest first. */
  participationsOf: ({ stores }: Sources) => groupedByKey<string, ParticipantRow>((ids) => stores.participants.find({ personIds: uuids(ids) }, EVERYTHING), (p) => p.personId),
});

export type Loaders = InstanceType<typeof LazyLoaders>;
