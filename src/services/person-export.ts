import { NotFound } from "../errors.js";
import type { RequestScope } from "./scope.js";
import { findPerson, personService, type PersonLookup } from "./person.js";

/** Keys of one record as the export shows it: ids and workspace are said once, at the top. */
const without = <T extends object, K extends keyof T>(row: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...row };
  for (const key of keys) delete copy[key];
  return copy;
};

const byKey = (values: { key: string; value: unknown }[]) => Object.fromEntries(values.map((v) => [v.key, v.value]));

/**
 * Everything held about one person, as one JSON document (a subject access request, GDPR art. 15):
 * the profile, every attribute bucket, person fields, ids in other systems, consent, each
 * participation with its custom values, tiers and ledger, and the history of all of them.
 */
export function personExportService(scope: RequestScope) {
  const { db, stores } = scope;
  return {
    async export(which: PersonLookup): Promise<Record<string, unknown>> {
      const id = await personService(scope).idOf(which);
      const person = await findPerson(db, id);
      if (!person) throw new NotFound("Person");
      const [attributes, fieldValues, identities, participants] = await Promise.all([
        db.personAttribute.findMany({ where: { personId: id }, include: { bucket: { select: { name: true } } }, orderBy: [{ bucketId: "asc" }, { key: "asc" }] }),
        db.personFieldValue.findMany({ where: { personId: id }, include: { field: { select: { key: true } } } }),
        db.personIdentity.findMany({ where: { personId: id }, orderBy: { system: "asc" } }),
        db.participant.findMany({
          where: { personId: id },
          orderBy: { createdAt: "asc" },
          include: {
            program: { select: { id: true, key: true, name: true } },
            customValues: { include: { field: { select: { key: true } } } },
            tiers: { orderBy: { tierType: "asc" } },
            ledger: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
          },
        }),
      ]);
      const buckets: Record<string, Record<string, unknown>> = {};
      for (const a of attributes) (buckets[a.bucket.name] ??= {})[a.key] = a.value;
      const changes = await stores.changes.ofEntities([id, ...participants.map((p) => p.id)]);
      return {
        exportedAt: new Date().toISOString(),
        person: without(person, "workspaceId"),
        attributes: buckets,
        customFields: byKey(fieldValues.map((v) => ({ key: v.field.key, value: v.value }))),
        identities: identities.map((i) => ({ system: i.system, id: i.externalId })),
        consent: person.consent ?? {},
        participations: participants.map(({ program, customValues, tiers, ledger, ...participant }) => ({
          ...without(participant, "workspaceId", "programId", "personId"),
          program,
          customFields: byKey(customValues.map((v) => ({ key: v.field.key, value: v.value }))),
          tiers: tiers.map((t) => without(t, "workspaceId", "participantId")),
          ledger: ledger.map(({ amount, scale, ...entry }) => ({ ...without(entry, "workspaceId", "participantId"), amount: amount.toFixed(scale) })),
        })),
        changes: changes.map((c) => without(c, "position")),
      };
    },
  };
}
