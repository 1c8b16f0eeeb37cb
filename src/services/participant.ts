import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import { inDriverTransaction, inTransaction, sqlOf, staleOrGone, type SqlTx, type Tx } from "../db/transaction.js";
import { Conflict, FieldErrors, InvalidInput, NotFound } from "../errors.js";
import type { Participant, Person, Prisma, Program } from "../generated/prisma/client.js";
import type { Status } from "../generated/prisma/enums.js";
import { mergeParticipantAttributes } from "../stores/attribute-writes.js";
import { writeCustomValues } from "../stores/custom-value-writes.js";
import { participantExists, participantExternalIdTaken, participantToChange, updateParticipantRow } from "../stores/participant-writes.js";
import type { FilterInput } from "../stores/filters.js";
import type { JsonNode, JsonRow, ParticipantCriteria, ParticipantKey, ParticipantRow, ParticipantScope, ReadPlan } from "../stores/participant-store.js";
import { PARTICIPANT_SORTS, sortOf } from "../stores/sorts.js";
import { optionalAttributePatch } from "./attributes.js";
import { checkCustomValues, requireFields } from "./custom-field.js";
import { keysetPageBy, type DecodedCursor, type Page, type PageArgs, type SortSpec } from "./pagination.js";
import { changeTagsWithin, checkPersonInput, findPerson, type PersonInput, savePersonIn, statusChange, updatePersonIn } from "./person.js";
import { profileChanges, profileString, SHARED_PROFILE_FIELDS } from "./profile.js";
import type { EnrollParticipantFields, UpdateParticipantFields } from "../schema/participant.js";
import type { RequestScope } from "./scope.js";
import { isUuid, optionalTags } from "./validate.js";


/** The GraphQL inputs, as the schema declares them (ids already strings). */
export type EnrollInput = Omit<EnrollParticipantFields, "personId"> & { personId?: string | null };
export type UpdateParticipantInput = UpdateParticipantFields;

async function requireProgram(db: ScopedPrisma | Tx, key: string): Promise<Program> {
  const program = await db.program.findFirst({ where: { key } });
  if (!program) throw new NotFound(`Program "${key}"`);
  return program;
}

async function assertParticipantExternalIdFree(tx: SqlTx, workspaceId: string, programId: string, externalId: string, exceptId?: string) {
  if (await participantExternalIdTaken(tx, workspaceId, programId, externalId, exceptId)) {
    throw new Conflict(`A participant with externalId "${externalId}" already exists in this program.`);
  }
}

export async function enrollParticipant(db: ScopedPrisma, caller: Caller, input: EnrollInput): Promise<Participant> {
  const errors = new FieldErrors();
  if ((input.personId == null) === (input.person == null)) {
    errors.add(["input"], "Give exactly one of `personId` and `person`.");
  }
  const externalId = profileString("externalId", input.externalId, ["input", "externalId"], errors);
  const tags = optionalTags(input.tags, ["input", "tags"], errors) ?? [];
  const attributes = optionalAttributePatch(input.attributes, ["input", "attributes"], errors);
  if (input.person) checkPersonInput(input.person, ["input", "person"], errors);
  errors.throwIfAny();

  return inTransaction(db, caller, async (tx) => {
    const program = await requireProgram(tx, input.programKey);
    const definitions = await tx.customFieldDefinition.findMany({ where: { programId: program.id } });
    const values = checkCustomValues(definitions, input.customFields ?? [], ["input", "customFields"], errors);
    requireFields(definitions, input.customFields ?? [], ["input", "customFields"], errors);
    errors.throwIfAny();

    const person = await enrolledPerson(tx, caller, input);
    if (await tx.participant.findFirst({ where: { programId: program.id, personId: person.id } })) {
      throw new Conflict(`This person is already enrolled in "${program.key}".`);
    }
    if (externalId) await assertParticipantExternalIdFree(sqlOf(tx), caller.workspaceId, program.id, externalId);
    // The row lock on the program orders concurrent enrolments; a rolled-back one leaves no gap
    // because the increment rolls back with it.
    const { lastSerial } = await tx.program.update({
      where: { id: program.id },
      data: { lastSerial: { increment: 1 } },
      select: { lastSerial: true },
    });
    const participant = await tx.participant.create({
      data: {
        workspaceId: caller.workspaceId,
        programId: program.id,
        personId: person.id,
        serialNumber: lastSerial,
        externalId: externalId ?? null,
        tags,
        attributes: (attributes?.set ?? {}) as Prisma.InputJsonValue,
      },
    });
    await writeCustomValues(sqlOf(tx), "participant", caller.workspaceId, participant.id, values);
    return participant;
  });
}

/** The person to enrol: by id; or matched by external id (profile applied); or created. */
async function enrolledPerson(tx: Tx, caller: Caller, input: EnrollInput) {
  if (input.personId != null) {
    const person = await findPerson(tx, input.personId);
    if (!person) throw new NotFound("Person");
    return person;
  }
  const personInput = input.person!;
  const externalId = personInput.externalId?.trim();
  const existing = externalId ? await tx.person.findFirst({ where: { externalId } }) : null;
  const errors = new FieldErrors();
  const checked = checkPersonInput(personInput, ["input", "person"], errors, existing);
  errors.throwIfAny();
  return savePersonIn(tx, caller, existing, checked);
}

export async function updateParticipant(
  db: ScopedPrisma,
  database: Database,
  caller: Caller,
  id: string,
  input: UpdateParticipantInput,
  expectedVersion?: number | null,
): Promise<Participant | undefined> {
  const errors = new FieldErrors();
  const externalId = profileString("externalId", input.externalId, ["input", "externalId"], errors);
  const tags = optionalTags(input.tags, ["input", "tags"], errors);
  const { tags: tagChange } = profileChanges({ tags: input.tags, addTags: input.addTags, removeTags: input.removeTags }, ["input"], errors);
  const attributes = optionalAttributePatch(input.attributes, ["input", "attributes"], errors);
  if (input.customFields === null) errors.add(["input", "customFields"], "Cannot be null; omit it instead.");
  // The person's profile, given on the participant (its shared fields) or inside `person`: one
  // input for the person, checked like any person update; the same field in both is refused.
  const shared = Object.fromEntries(SHARED_PROFILE_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
  if (input.person === null) errors.add(["input", "person"], "Cannot be null; omit it instead.");
  for (const field of Object.keys(shared)) {
    if (input.person?.[field as keyof typeof input.person] !== undefined) errors.add(["input", "person", field], `Given twice: on the participant and in \`person\`.`);
  }
  checkPersonInput(shared, ["input"], errors);
  if (input.person) checkPersonInput(input.person, ["input", "person"], errors);
  const personInput: PersonInput = { ...(input.person ?? {}), ...shared };
  errors.throwIfAny();

  // Every statement below is raw SQL, so the write runs on the driver's own transaction
  // (inDriverTransaction), unless it changes the person too: that is Prisma's.
  const changesPerson = Object.keys(personInput).length > 0;
  const write = <T,>(fn: (sqlTx: SqlTx, tx?: Tx) => Promise<T>) =>
    changesPerson ? inTransaction(db, caller, (tx) => fn(sqlOf(tx), tx)) : inDriverTransaction(database, caller, (sqlTx) => fn(sqlTx));
  return write(async (sqlTx, tx) => {
    const { workspaceId } = caller;
    const current = isUuid(id) ? await participantToChange(sqlTx, workspaceId, id, input.customFields != null) : undefined;
    if (!current) throw new NotFound("Participant");
    const values = checkCustomValues(current.definitions ?? [], input.customFields ?? [], ["input", "customFields"], errors);
    errors.throwIfAny();
    if (externalId) await assertParticipantExternalIdFree(sqlTx, workspaceId, current.programId, externalId, current.id);

    const updated = await updateParticipantRow(sqlTx, workspaceId, id, expectedVersion, { externalId, tags });
    if (!updated) throw await staleOrGone(() => participantExists(sqlTx, workspaceId, id), id, expectedVersion, "Participant");
    if (tx) {
      const person = (await tx.person.findUnique({ where: { id: current.personId } }))!;
      const checked = checkPersonInput(personInput, ["input", "person"], errors, person);
      errors.throwIfAny();
      await updatePersonIn(tx, caller, person, checked);
    }
    if (tagChange) await changeTagsWithin(sqlTx, "participant", workspaceId, id, tagChange);
    if (attributes) await mergeParticipantAttributes(sqlTx, workspaceId, id, attributes);
    await writeCustomValues(sqlTx, "participant", workspaceId, id, values);
    // The row as the update left it, unless a later statement changed it again.
    return tagChange || attributes ? undefined : updated;
  });
}

export async function setParticipantStatus(
  db: ScopedPrisma,
  caller: Caller,
  id: string,
  status: Status,
  reason: string | null | undefined,
): Promise<void> {
  const { count } = isUuid(id)
    ? await inTransaction(db, caller, (tx) => tx.participant.updateMany({ where: { id }, data: statusChange(status, reason) }))
    : { count: 0 };
  if (count === 0) throw new NotFound("Participant");
}

/** Deletes a participant and, through the foreign keys, its custom values, ledger and tiers. */
export async function deleteParticipant(db: ScopedPrisma, caller: Caller, id: string): Promise<string> {
  const { count } = isUuid(id) ? await inTransaction(db, caller, (tx) => tx.participant.deleteMany({ where: { id } })) : { count: 0 };
  if (count === 0) throw new NotFound("Participant");
  return id;
}


type ListArgs = PageArgs & {
  filter?: FilterInput | null;
  orderBy?: { field: keyof typeof PARTICIPANT_SORTS; direction: "ASC" | "DESC" } | null;
};

export interface ParticipantLookup {
  id?: string | null;
  programKey?: string | null;
  serialNumber?: number | null;
  externalId?: string | null;
}

const EMPTY_PAGE: Page<never> = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: async () => 0,
};

/** A plan that reads nothing but the participant's own columns (and its person's id). */
const ownFieldsOnly = (plan: ReadPlan) => !plan.customFields && plan.personFields !== undefined && [...plan.personFields].every((f) => f === "id");

/** Participants for one request: reads through the participant store, writes in one transaction each. */
export function participantService(scope: RequestScope) {
  const { db, caller, stores, loaders, programIds } = scope;
  const programId = (key: string) => programIds.get(db, caller.workspaceId, key);
  /**
   * A write's result, read back through the store with the plan of the client's selection; gone
   * when a delete committed in between.
   */
  const readBack = async (id: string, plan: ReadPlan) => {
    const [row] = await stores.participants.find({ ids: [id] }, plan);
    if (!row) throw new NotFound("Participant");
    return row;
  };

  /** One page of a program's or a person's participants, filtered and ordered, read by `read`. */
  function pageBy<T extends { id: string }>(
    of: ParticipantScope,
    args: ListArgs,
    read: (criteria: ParticipantCriteria, window: { sort: SortSpec; after?: DecodedCursor; take: number }) => Promise<T[]>,
  ): Promise<Page<T>> {
    const sort = sortOf(PARTICIPANT_SORTS, args.orderBy ?? { field: "SERIAL_NUMBER", direction: "ASC" });
    // Checked (and a bad filter refused) once, even when no row is asked for.
    const criteria = stores.participants.criteria(of, args.filter, caller);
    return keysetPageBy(
      args,
      sort,
      (take, after, order) => read(criteria, { sort: order, after, take }),
      () => stores.participants.count(criteria),
    );
  }

  function page(of: ParticipantScope, args: ListArgs, plan: ReadPlan): Promise<Page<ParticipantRow>> {
    return pageBy(of, args, (criteria, window) => {
      // The person's field the page is sorted by is read with the rows.
      const path = window.sort.path;
      const personFields = path[0] === "person" && plan.personFields ? [...plan.personFields, ...path.slice(1)] : plan.personFields;
      return stores.participants.page(criteria, { ...window, plan: { ...plan, personFields } });
    });
  }

  /** A lookup as a store key: by id, or the program's key resolved to its id (cached) with a serial number or external id. */
  async function keyOf(args: ParticipantLookup): Promise<ParticipantKey | { id: string } | null> {
    const { id, programKey, serialNumber, externalId } = args;
    const given = [id, programKey, serialNumber, externalId].filter((v) => v != null).length;
    const byId = id != null && given === 1;
    const bySerial = programKey != null && serialNumber != null && given === 2;
    const byExternal = programKey != null && externalId != null && given === 2;
    if (!byId && !bySerial && !byExternal) {
      throw InvalidInput.field([], "Give `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`.");
    }
    if (byId) return isUuid(id) ? { id } : null;
    // The key resolved to an id first: filtering through the relation defeats the (program, serial) index.
    const program = await programId(programKey!);
    if (!program) return null;
    return bySerial ? { programId: program, serialNumber: serialNumber! } : { programId: program, externalId: externalId! };
  }

  /** The id of the participant a write names the way its caller knows it; NOT_FOUND when none. */
  async function idOf(args: ParticipantLookup): Promise<string> {
    const key = await keyOf(args);
    if (key && "id" in key) return key.id;
    const [row] = key ? await stores.participants.find(key, { customFields: false, personFields: [] }) : [];
    if (!row) throw new NotFound("Participant");
    return row.id;
  }

  return {
    /** Participants as JSON text, in the shape a client selected (src/direct): the same look-ups and pages. */
    json: {
      async find(args: ParticipantLookup, node: JsonNode): Promise<JsonRow | null> {
        const key = await keyOf(args);
        const [row] = key ? await stores.participants.findJson("id" in key ? { ids: [key.id] } : key, node) : [];
        return row ?? null;
      },
      async ofProgramKey(key: string, args: ListArgs, node: JsonNode): Promise<Page<JsonRow>> {
        const program = await programId(key);
        return program ? pageBy({ programId: program }, args, (criteria, window) => stores.participants.pageJson(criteria, { ...window, node })) : EMPTY_PAGE;
      },
    },

    /** By `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`; null when none. */
    async find(args: ParticipantLookup, plan: ReadPlan): Promise<ParticipantRow | null> {
      const key = await keyOf(args);
      if (!key) return null;
      if ("id" in key) return loaders.participantById.load(key.id);
      const [row] = await stores.participants.find(key, plan);
      return row ?? null;
    },

    idOf,
    /** The programs a person is enrolled in. */
    programsOf: async (personId: string) => (await loaders.participationsOf.load(personId)).map((p) => p.programId),

    /** A program's participants, by its key. */
    async ofProgramKey(key: string, args: ListArgs, plan: ReadPlan): Promise<Page<ParticipantRow>> {
      const program = await programId(key);
      return program ? page({ programId: program }, args, plan) : EMPTY_PAGE;
    },

    ofProgram: (id: string, args: ListArgs, plan: ReadPlan) => page({ programId: id }, args, plan),

    /**
     * A person's participations, oldest first. A first page for many persons at once (a list of
     * people with their participations) is one statement for all of them: a person's are few.
     */
    ofPerson(personId: string, args: PageArgs, plan: ReadPlan): Promise<Page<ParticipantRow>> {
      const byCreation = { ...args, orderBy: { field: "CREATED_AT", direction: "ASC" } } as const;
      if (args.after || args.last != null || args.before) return page({ personId }, byCreation, plan);
      const all = loaders.participationsOf.load(personId);
      return keysetPageBy(
        args,
        sortOf(PARTICIPANT_SORTS, byCreation.orderBy),
        async (take) => (await all).slice(0, take),
        async () => (await all).length,
      );
    },

    enroll: async (input: EnrollInput, plan: ReadPlan) => readBack((await enrollParticipant(db, caller, input)).id, plan),
    // A write's result is read back through the store, once, unless the write's own row answers it.
    async update(which: ParticipantLookup, input: UpdateParticipantInput, expectedVersion: number | null | undefined, plan: ReadPlan) {
      const id = await idOf(which);
      const updated = await updateParticipant(db, scope.database, caller, id, input, expectedVersion);
      // A selection of the participant's own fields is answered by the update's own row.
      return updated && ownFieldsOnly(plan) ? { ...updated, person: { id: updated.personId } as Person } : readBack(id, plan);
    },
    async setStatus(which: ParticipantLookup, status: Status, reason: string | null | undefined, plan: ReadPlan) {
      const id = await idOf(which);
      await setParticipantStatus(db, caller, id, status, reason);
      return readBack(id, plan);
    },
    delete: async (which: ParticipantLookup) => deleteParticipant(db, caller, await idOf(which)),
    readBack,
  };
}
