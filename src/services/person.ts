import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import { inDriverTransaction, inTransaction, sqlOf, staleOrGone, touched, type SqlTx, type Tx } from "../db/transaction.js";
import { Conflict, FieldErrors, InvalidInput, isUniqueViolation, NotFound } from "../errors.js";
import type { CustomFieldDefinition, Person, Prisma } from "../generated/prisma/client.js";
import type { StoredValue } from "../stores/participant-store.js";
import type { Status } from "../generated/prisma/enums.js";
import { mergePersonAttributes } from "../stores/attribute-writes.js";
import { writeCustomValues } from "../stores/custom-value-writes.js";
import { changeTags, markSeen, moveToPerson, recordMergeLinks, setIdentities, touchPerson } from "../stores/person-writes.js";
import { checkCustomValues, requireFields, type CustomValueInput } from "./custom-field.js";
import { insensitive, personWhere, type FilterInput } from "../stores/filters.js";
import { PERSON_SORTS, sortOf } from "../stores/sorts.js";
import { checkAttributePatch, DEFAULT_BUCKET, optionalAttributePatch, usableBucket } from "./attributes.js";
import { keysetPage, type Page, type PageArgs } from "./pagination.js";
import { profileChanges, profileData, profileString, type CurrentProfile, type ProfileChanges, type ProfileInput } from "./profile.js";
import type { RequestScope } from "./scope.js";
import type { Sql } from "../stores/sql.js";
import { isUuid, TAG_RULES } from "./validate.js";

export type PersonInput = ProfileInput & { attributes?: Record<string, unknown> | null; customFields?: CustomValueInput[] | null };

/** The columns a status change writes, for a person or a participant. */
export const statusChange = (status: Status, reason: string | null | undefined) => ({
  status,
  statusReason: reason?.trim() || null,
  statusChangedAt: new Date(),
  ...touched(),
});

/** A person input checked: the columns to write, the default bucket's patch, tags and times seen. */
export interface CheckedPerson {
  data: Prisma.PersonUncheckedUpdateInput;
  attributes: ReturnType<typeof checkAttributePatch> | undefined;
  changes: ProfileChanges;
  /** Person field values, checked against the workspace's definitions inside the transaction. */
  customFields?: { inputs: CustomValueInput[]; path: string[] };
}

export function checkPersonInput(input: PersonInput, path: string[], errors: FieldErrors, current?: CurrentProfile): CheckedPerson {
  const data = profileData(input, path, errors, current);
  const attributes = optionalAttributePatch(input.attributes, [...path, "attributes"], errors);
  if (input.customFields === null) errors.add([...path, "customFields"], "Cannot be null; omit it instead.");
  const customFields = input.customFields ? { inputs: input.customFields, path: [...path, "customFields"] } : undefined;
  return { data, attributes, changes: profileChanges(input, path, errors), customFields };
}

const checkInput = (input: PersonInput, errors: FieldErrors, current?: CurrentProfile) => checkPersonInput(input, ["input"], errors, current);

/**
 * Person field values checked against the workspace's definitions (the same rules as a
 * program's fields) and written; at creation every required field must be given.
 */
async function writePersonFields(tx: Tx, caller: Caller, personId: string, given: CheckedPerson["customFields"], creating: boolean) {
  if (!given && !creating) return;
  const definitions = await tx.customFieldDefinition.findMany({ where: { programId: null } });
  const path = given?.path ?? ["input", "customFields"];
  const errors = new FieldErrors();
  const values = checkCustomValues(definitions, given?.inputs ?? [], path, errors);
  if (creating) requireFields(definitions, given?.inputs ?? [], path, errors);
  errors.throwIfAny();
  await writeCustomValues(sqlOf(tx), "person", caller.workspaceId, personId, values);
}

/**
 * The writes of a checked input besides the person's row: person fields (all required ones when
 * `creating`), default attributes, tags, times seen, identities.
 */
async function writeBesideRow(tx: Tx, caller: Caller, personId: string, { attributes, changes, customFields }: Omit<CheckedPerson, "data">, creating = false) {
  await writePersonFields(tx, caller, personId, customFields, creating);
  if (attributes && (Object.keys(attributes.set).length > 0 || attributes.remove.length > 0)) {
    const bucket = await usableBucket(sqlOf(tx), caller, DEFAULT_BUCKET);
    await mergePersonAttributes(sqlOf(tx), caller.workspaceId, personId, bucket.id, attributes);
  }
  if (changes.tags) await changeTagsWithin(sqlOf(tx), "person", caller.workspaceId, personId, changes.tags);
  if (changes.seen) await markSeen(tx, caller.workspaceId, personId, changes.seen);
  if (changes.identities) await setIdentities(tx, caller.workspaceId, personId, changes.identities);
}

/** Adds and removes tags, refusing a set that would grow past its limit (the transaction rolls back). */
export async function changeTagsWithin(tx: SqlTx, table: "person" | "participant", workspaceId: string, id: string, change: { add: string[]; remove: string[] }) {
  const count = await changeTags(tx, table, workspaceId, id, change);
  if (count > TAG_RULES.maxCount) throw InvalidInput.field(["input", "addTags"], `At most ${TAG_RULES.maxCount} tags.`);
}

export async function createPerson(db: ScopedPrisma, caller: Caller, input: PersonInput): Promise<Person> {
  const errors = new FieldErrors();
  const checked = checkInput(input, errors);
  errors.throwIfAny();
  return inTransaction(db, caller, (tx) => createPersonIn(tx, caller, checked));
}

async function createPersonIn(tx: Tx, caller: Caller, { data, ...beside }: CheckedPerson): Promise<Person> {
  if (typeof data.externalId === "string") await assertExternalIdFree(tx, data.externalId);
  const person = await tx.person.create({
    data: { ...(data as Prisma.PersonUncheckedCreateInput), workspaceId: caller.workspaceId },
  });
  await writeBesideRow(tx, caller, person.id, beside, true);
  // Tags and times seen are columns of the row just made; the other writes are rows of their own.
  return beside.changes.tags || beside.changes.seen ? (await tx.person.findUnique({ where: { id: person.id } }))! : person;
}

async function assertExternalIdFree(tx: Tx, externalId: string, exceptId?: string) {
  const other = await tx.person.findFirst({ where: { externalId, id: exceptId ? { not: exceptId } : undefined } });
  if (other) throw new Conflict(`A person with externalId "${externalId}" already exists.`);
}

export async function findPerson(db: ScopedPrisma | Tx, id: string): Promise<Person | null> {
  return isUuid(id) ? db.person.findUnique({ where: { id } }) : null;
}

async function requirePerson(tx: Tx, id: string): Promise<Person> {
  const person = await findPerson(tx, id);
  if (!person) throw new NotFound("Person");
  return person;
}

/**
 * Applies profile changes to a person inside a transaction. With `expectedVersion`, the update
 * only happens if nobody changed the person since the caller read it.
 */
export async function updatePersonIn(
  tx: Tx,
  caller: Caller,
  person: Person,
  { data, ...beside }: CheckedPerson,
  expectedVersion?: number | null,
): Promise<Person> {
  if (typeof data.externalId === "string") await assertExternalIdFree(tx, data.externalId, person.id);
  const { count } = await tx.person.updateMany({
    where: { id: person.id, ...(expectedVersion != null ? { version: expectedVersion } : {}) },
    data: { ...data, ...touched() } as Prisma.PersonUncheckedUpdateManyInput,
  });
  if (count === 0) throw await staleOrGone(async () => (await tx.person.count({ where: { id: person.id } })) > 0, person.id, expectedVersion, "Person");
  await writeBesideRow(tx, caller, person.id, beside);
  return (await tx.person.findUnique({ where: { id: person.id } }))!;
}

export async function updatePerson(
  db: ScopedPrisma,
  caller: Caller,
  id: string,
  input: PersonInput,
  expectedVersion?: number | null,
): Promise<Person> {
  // Checked inside the transaction: a partial location merges into the stored one.
  return inTransaction(db, caller, async (tx) => {
    const person = await requirePerson(tx, id);
    const errors = new FieldErrors();
    const checked = checkInput(input, errors, person);
    errors.throwIfAny();
    return updatePersonIn(tx, caller, person, checked, expectedVersion);
  });
}

/** Updates `existing`, or creates a person when there is none. */
export async function savePersonIn(tx: Tx, caller: Caller, existing: Person | null, checked: CheckedPerson): Promise<Person> {
  return existing ? updatePersonIn(tx, caller, existing, checked) : createPersonIn(tx, caller, checked);
}

export async function upsertPerson(
  db: ScopedPrisma,
  caller: Caller,
  externalId: string,
  input: PersonInput,
): Promise<Person> {
  const errors = new FieldErrors();
  const key = profileString("externalId", externalId, ["externalId"], errors);
  if (key === null) errors.add(["externalId"], "An external id is required.");
  if (input.externalId !== undefined && input.externalId !== externalId) {
    errors.add(["input", "externalId"], "Must be omitted or equal to the externalId argument.");
  }
  checkInput(input, errors);
  errors.throwIfAny();
  const attempt = () =>
    inTransaction(db, caller, async (tx) => {
      const existing = await tx.person.findFirst({ where: { externalId: key! } });
      const checkedErrors = new FieldErrors();
      const checked = checkInput({ ...input, externalId: key }, checkedErrors, existing);
      checkedErrors.throwIfAny();
      return savePersonIn(tx, caller, existing, checked);
    });
  // Two first upserts of one external id race to create it; the loser updates what the winner made.
  return attempt().catch((error) => (error instanceof Conflict || isUniqueViolation(error) ? attempt() : Promise.reject(error)));
}

export async function setPersonStatus(
  db: ScopedPrisma,
  caller: Caller,
  id: string,
  status: Status,
  reason: string | null | undefined,
): Promise<Person> {
  return inTransaction(db, caller, async (tx) => {
    await requirePerson(tx, id);
    return tx.person.update({
      where: { id },
      data: statusChange(status, reason) as Prisma.PersonUncheckedUpdateInput,
    });
  });
}

/** Deletes a person and, through the foreign keys, its attributes, participations and their data. */
export async function deletePerson(db: ScopedPrisma, caller: Caller, id: string): Promise<string> {
  if (!isUuid(id)) throw new NotFound("Person");
  const { count } = await inTransaction(db, caller, (tx) => tx.person.deleteMany({ where: { id } }));
  if (count === 0) throw new NotFound("Person");
  return id;
}

export async function setAttributes(
  database: Database,
  caller: Caller,
  personId: string,
  bucketName: string,
  attributes: Record<string, unknown>,
): Promise<Person> {
  const errors = new FieldErrors();
  const patch = checkAttributePatch(attributes, ["attributes"], errors);
  errors.throwIfAny();
  // On the driver's transaction: a hot write whose statements are all raw (inDriverTransaction).
  return inDriverTransaction(database, caller, async (tx) => {
    // The version moves first, so that the change recorded below carries the new one; the
    // update finds the person too (a missing one first, as before the bucket: NOT_FOUND).
    const person = isUuid(personId) ? await touchPerson(tx, caller.workspaceId, personId) : undefined;
    if (!person) throw new NotFound("Person");
    const bucket = await usableBucket(tx, caller, bucketName);
    await mergePersonAttributes(tx, caller.workspaceId, person.id, bucket.id, patch);
    return person;
  });
}

/** How a write names a person: by our id or by the caller's external id. */
export interface PersonLookup {
  id?: string | null;
  externalId?: string | null;
}

type PersonListArgs = PageArgs & {
  filter?: FilterInput | null;
  orderBy?: { field: keyof typeof PERSON_SORTS; direction: "ASC" | "DESC" } | null;
};

/** Persons for one request. */
export function personService({ db, database, caller, loaders, stores }: RequestScope) {
  /** The id of the person a write names by `id` or `externalId`, exactly one; NOT_FOUND when none. */
  async function idOf({ id, externalId }: PersonLookup): Promise<string> {
    if ((id == null) === (externalId == null)) throw InvalidInput.field([], "Give exactly one of `id` and `externalId`.");
    if (id != null) return id;
    const person = await db.person.findFirst({ where: { externalId: externalId! }, select: { id: true } });
    if (!person) throw new NotFound("Person");
    return person.id;
  }

  return {
    idOf,
    /** Persons as JSON text in the shape a client selected (src/direct), by id, in order; null where none. */
    json: { byIds: (ids: string[], json: Sql) => stores.persons.jsonByIds(ids, json) },
    /** Every non-archived person field with this person's value (and when it was written). */
    async fieldValues(personId: string): Promise<{ definition: CustomFieldDefinition; stored: StoredValue | undefined }[]> {
      const [definitions, values] = await Promise.all([loaders.personFields.load("all"), loaders.personFieldValuesByPersonId.load(personId)]);
      const byField = new Map(values.map((v) => [v.fieldId, [v.value, v.updatedAt.toISOString()] as StoredValue]));
      return definitions.filter((d) => !d.archived).map((definition) => ({ definition, stored: byField.get(definition.id) }));
    },
    /** By exactly one of `id`, `externalId` and `email` (case-insensitive, the oldest if several); null when none. */
    async find(args: { id?: string | null; externalId?: string | null; email?: string | null; identity?: { system: string; id?: string | null } | null }): Promise<Person | null> {
      const given = [args.id, args.externalId, args.email, args.identity].filter((v) => v != null);
      if (given.length !== 1) throw InvalidInput.field([], "Give exactly one of `id`, `externalId`, `email` and `identity`.");
      if (args.id != null) return findPerson(db, args.id);
      if (args.identity && !args.identity.id) throw InvalidInput.field(["identity", "id"], "Give the id to look for.");
      const where: Prisma.PersonWhereInput =
        args.externalId != null
          ? { externalId: args.externalId }
          : args.identity
            ? { identities: { some: { system: args.identity.system, externalId: args.identity.id! } } }
            : { email: insensitive(args.email!) };
      return db.person.findFirst({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    },

    page(args: PersonListArgs): Promise<Page<Person>> {
      const sort = sortOf(PERSON_SORTS, args.orderBy ?? { field: "CREATED_AT", direction: "ASC" });
      return keysetPage(args, sort, personWhere(args.filter, caller), (q) => db.person.findMany(q as object), (q) => db.person.count(q as object));
    },

    create: (input: PersonInput) => createPerson(db, caller, input),
    upsert: (externalId: string, input: PersonInput) => upsertPerson(db, caller, externalId, input),
    update: async (which: PersonLookup, input: PersonInput, expectedVersion?: number | null) => updatePerson(db, caller, await idOf(which), input, expectedVersion),
    setStatus: async (which: PersonLookup, status: Status, reason: string | null | undefined) => setPersonStatus(db, caller, await idOf(which), status, reason),
    delete: async (which: PersonLookup) => deletePerson(db, caller, await idOf(which)),
    merge: (sourceId: string, targetId: string) => mergePersons(db, caller, sourceId, targetId),
    setAttributes: async (which: PersonLookup, bucket: string, attributes: Record<string, unknown>) =>
      setAttributes(database, caller, await idOf(which), bucket, attributes),
  };
}

// What a merge carries over where the target has nothing: every profile value but the status.
const MERGED_FIELDS = [
  "externalId", "email", "phone", "firstName", "lastName", "displayName", "avatarUrl", "timezone", "locale", "type", "title", "company",
  "location", "gender", "score", "role", "accountId", "signedUpAt", "consent", "inferredLocation",
] as const satisfies readonly (keyof Person)[];

/**
 * Merges a duplicate into the person to keep, in one transaction: the target keeps its own values
 * and takes the source's where it has none (profile, attributes key by key, person fields, ids
 * in other systems), tags are united, times seen widened, participations and their ledgers move;
 * then the source is deleted. Both in one program is CONFLICT, and nothing is written.
 */
export async function mergePersons(db: ScopedPrisma, caller: Caller, sourceId: string, targetId: string): Promise<Person> {
  if (sourceId === targetId) throw InvalidInput.field(["sourceId"], "A person cannot be merged into itself.");
  return inTransaction(db, caller, async (tx) => {
    // Both rows locked, in a fixed order, so that concurrent merges of the two wait, not deadlock.
    if (!isUuid(sourceId) || !isUuid(targetId)) throw new NotFound("Person");
    await tx.$queryRaw`SELECT id FROM person WHERE workspace_id = ${caller.workspaceId}::uuid AND id IN (${sourceId}::uuid, ${targetId}::uuid) ORDER BY id FOR UPDATE`;
    const [source, target] = await Promise.all([findPerson(tx, sourceId), findPerson(tx, targetId)]);
    if (!source) throw new NotFound("Person (sourceId)");
    if (!target) throw new NotFound("Person (targetId)");
    const shared = await moveToPerson(tx, caller.workspaceId, source.id, target.id);
    if (shared.length > 0) throw new Conflict(`Both persons are enrolled in the same program (${shared.join(", ")}); remove one of those participations first.`);
    const taken: Record<string, unknown> = {};
    for (const field of MERGED_FIELDS) if (target[field] == null && source[field] != null) taken[field] = source[field];
    const earliest = [source.firstSeenAt, target.firstSeenAt].filter((d): d is Date => d !== null).sort((a, b) => +a - +b)[0];
    const latest = [source.lastSeenAt, target.lastSeenAt].filter((d): d is Date => d !== null).sort((a, b) => +b - +a)[0];
    // Both persons' changes are recorded as MERGED, each naming the other.
    await tx.$queryRaw`SELECT set_config('participant_graph.operation', 'MERGED', true)`;
    await recordMergeLinks(tx, caller.workspaceId, source.id, target.id);
    // The source goes first: its external id is unique in the workspace until then.
    await tx.person.delete({ where: { id: source.id } });
    return tx.person.update({
      where: { id: target.id },
      data: {
        ...(taken as Prisma.PersonUpdateInput),
        tags: [...new Set([...target.tags, ...source.tags])].sort(),
        firstSeenAt: earliest ?? null,
        lastSeenAt: latest ?? null,
        ...touched(),
      } as Prisma.PersonUpdateInput,
    });
  });
}
