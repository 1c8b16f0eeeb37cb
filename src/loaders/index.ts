import DataLoader from "dataloader";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type {
  CustomFieldDefinition,
  CustomFieldValue,
  LedgerTotal,
  Participant,
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
export function createLoaders(db: ScopedPrisma) {
  return {
    personById: byKey<string, Person>((ids) => db.person.findMany({ where: { id: { in: ids } } }), (p) => p.id),
    personByExternalId: byKey<string, Person>(
      (ids) => db.person.findMany({ where: { externalId: { in: ids } } }),
      (p) => p.externalId!,
    ),
    participantById: byKey<string, Participant>(
      (ids) => db.participant.findMany({ where: { id: { in: ids } } }),
      (p) => p.id,
    ),
    programById: byKey<string, Program>((ids) => db.program.findMany({ where: { id: { in: ids } } }), (p) => p.id),
    customFieldsByProgramId: groupedByKey<string, CustomFieldDefinition>(
      (ids) => db.customFieldDefinition.findMany({ where: { programId: { in: ids } }, orderBy: [{ createdAt: "asc" }, { key: "asc" }] }),
      (f) => f.programId,
    ),
    customValuesByParticipantId: groupedByKey<string, CustomFieldValue>(
      (ids) => db.customFieldValue.findMany({ where: { participantId: { in: ids } } }),
      (v) => v.participantId,
    ),
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
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
