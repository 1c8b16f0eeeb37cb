import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Conflict, FieldErrors, InvalidInput, NotFound } from "../errors.js";
import type { Participant, Prisma, Program } from "../generated/prisma/client.js";
import { mergeParticipantAttributes, optionalAttributePatch } from "./attributes.js";
import { checkCustomValues, type CustomValueInput, writeCustomValues } from "./custom-field.js";
import { checkPersonInput, findPerson, type PersonInput, savePersonIn, updatePersonIn } from "./person.js";
import { profileData, profileString, SHARED_PROFILE_FIELDS } from "./profile.js";
import type { Loaders } from "../loaders/index.js";
import type { ParticipantRead, ParticipantRow } from "../loaders/participant-reader.js";
import { inTransaction, staleOrGone, type Tx } from "../db/transaction.js";
import { isUuid, optionalTags } from "./validate.js";

type Status = "ACTIVE" | "SUSPENDED" | "CLOSED";

export interface EnrollInput {
  programKey: string;
  personId?: string | null;
  person?: PersonInput | null;
  externalId?: string | null;
  tags?: string[] | null;
  attributes?: Record<string, unknown> | null;
  customFields?: CustomValueInput[] | null;
}

export interface UpdateParticipantInput {
  externalId?: string | null;
  email?: string | null;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  attributes?: Record<string, unknown> | null;
  tags?: string[] | null;
  customFields?: CustomValueInput[] | null;
}

export async function programByKey(db: ScopedPrisma | Tx, key: string): Promise<Program | null> {
  return db.program.findFirst({ where: { key } });
}

/**
 * Program ids by workspace and key. A program's key never changes and programs are never deleted,
 * so a found id stays right for the life of the process; misses are not remembered.
 */
export class ProgramIdCache {
  private readonly ids = new Map<string, string>();
  constructor(private readonly max = 10_000) {}

  async get(db: ScopedPrisma, workspaceId: string, key: string): Promise<string | undefined> {
    const cacheKey = `${workspaceId}\u0000${key}`;
    const cached = this.ids.get(cacheKey);
    if (cached) return cached;
    const program = await programByKey(db, key);
    if (!program) return undefined;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.keys().next().value!);
    this.ids.set(cacheKey, program.id);
    return program.id;
  }
}

async function requireProgram(db: ScopedPrisma | Tx, key: string): Promise<Program> {
  const program = await programByKey(db, key);
  if (!program) throw new NotFound(`Program "${key}"`);
  return program;
}

/**
 * One participant by id, by program key and serial number, or by program key and external id,
 * read with its person and custom values (as `plan` asks) in one statement; program ids come from
 * the cache.
 */
export async function findParticipant(
  loaders: Pick<Loaders, "participants" | "participantById">,
  programIds: ProgramIdCache,
  db: ScopedPrisma,
  workspaceId: string,
  args: { id?: string | null; programKey?: string | null; serialNumber?: number | null; externalId?: string | null },
  plan: Pick<ParticipantRead, "customFields" | "valueTimes" | "personFields"> = { customFields: true },
): Promise<ParticipantRow | null> {
  const { id, programKey, serialNumber, externalId } = args;
  const given = [id, programKey, serialNumber, externalId].filter((v) => v != null).length;
  const byId = id != null && given === 1;
  const bySerial = programKey != null && serialNumber != null && given === 2;
  const byExternal = programKey != null && externalId != null && given === 2;
  if (!byId && !bySerial && !byExternal) {
    throw InvalidInput.field([], "Give `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`.");
  }
  if (byId) return isUuid(id) ? loaders.participantById.load(id) : null;
  // Resolve the key to an id first: filtering through the relation defeats the (program, serial) index.
  const programId = await programIds.get(db, workspaceId, programKey!);
  if (!programId) return null;
  const params = loaders.participants.params();
  const where = [
    `p.program_id = ${params.add(programId)}`,
    bySerial ? `p.serial_number = ${params.add(serialNumber)}` : `p.external_id = ${params.add(externalId)}`,
  ];
  const [row] = await loaders.participants.read({ ...plan, where, params, orderBy: "p.id", limit: 1 });
  return row ?? null;
}

async function assertParticipantExternalIdFree(tx: Tx, programId: string, externalId: string, exceptId?: string) {
  const other = await tx.participant.findFirst({ where: { programId, externalId, id: exceptId ? { not: exceptId } : undefined } });
  if (other) throw new Conflict(`A participant with externalId "${externalId}" already exists in this program.`);
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

  return inTransaction(db, async (tx) => {
    const program = await requireProgram(tx, input.programKey);
    const definitions = await tx.customFieldDefinition.findMany({ where: { programId: program.id } });
    const values = checkCustomValues(definitions, input.customFields ?? [], ["input", "customFields"], errors);
    const given = new Set((input.customFields ?? []).filter((c) => c.value != null).map((c) => c.key));
    for (const def of definitions) {
      if (def.required && !def.archived && !given.has(def.key)) {
        errors.add(["input", "customFields", def.key], `"${def.key}" is required.`);
      }
    }
    errors.throwIfAny();

    const person = await enrolledPerson(tx, caller, input);
    if (await tx.participant.findFirst({ where: { programId: program.id, personId: person.id } })) {
      throw new Conflict(`This person is already enrolled in "${program.key}".`);
    }
    if (externalId) await assertParticipantExternalIdFree(tx, program.id, externalId);
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
    await writeCustomValues(tx, caller.workspaceId, participant.id, values);
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
  const { data, attributes } = checkPersonInput(personInput, ["input", "person"], errors, existing?.location);
  errors.throwIfAny();
  return savePersonIn(tx, caller, existing, data, attributes);
}

export async function updateParticipant(
  db: ScopedPrisma,
  caller: Caller,
  id: string,
  input: UpdateParticipantInput,
  expectedVersion?: number | null,
): Promise<Participant> {
  const errors = new FieldErrors();
  const externalId = profileString("externalId", input.externalId, ["input", "externalId"], errors);
  const tags = optionalTags(input.tags, ["input", "tags"], errors);
  const attributes = optionalAttributePatch(input.attributes, ["input", "attributes"], errors);
  if (input.customFields === null) errors.add(["input", "customFields"], "Cannot be null; omit it instead.");
  const shared = Object.fromEntries(SHARED_PROFILE_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
  const profile = profileData(shared, ["input"], errors);
  errors.throwIfAny();

  return inTransaction(db, async (tx) => {
    const current = isUuid(id) ? await tx.participant.findUnique({ where: { id } }) : null;
    if (!current) throw new NotFound("Participant");
    const definitions = input.customFields
      ? await tx.customFieldDefinition.findMany({ where: { programId: current.programId } })
      : [];
    const values = checkCustomValues(definitions, input.customFields ?? [], ["input", "customFields"], errors);
    errors.throwIfAny();
    if (externalId) await assertParticipantExternalIdFree(tx, current.programId, externalId, current.id);

    const { count } = await tx.participant.updateMany({
      where: { id, ...(expectedVersion != null ? { version: expectedVersion } : {}) },
      data: {
        ...(externalId !== undefined ? { externalId } : {}),
        ...(tags !== undefined ? { tags } : {}),
        version: { increment: 1 },
        updatedAt: new Date(),
      },
    });
    if (count === 0) throw await staleOrGone(tx.participant, id, expectedVersion, "Participant");
    if (Object.keys(profile).length > 0) {
      const person = (await tx.person.findUnique({ where: { id: current.personId } }))!;
      await updatePersonIn(tx, caller, person, profile);
    }
    if (attributes) await mergeParticipantAttributes(tx, caller.workspaceId, id, attributes);
    await writeCustomValues(tx, caller.workspaceId, id, values);
    return (await tx.participant.findUnique({ where: { id } }))!;
  });
}

export async function setParticipantStatus(
  db: ScopedPrisma,
  id: string,
  status: Status,
  reason: string | null | undefined,
): Promise<Participant> {
  return inTransaction(db, async (tx) => {
    const { count } = isUuid(id)
      ? await tx.participant.updateMany({
          where: { id },
          data: { status, statusReason: reason?.trim() || null, statusChangedAt: new Date(), version: { increment: 1 }, updatedAt: new Date() },
        })
      : { count: 0 };
    if (count === 0) throw new NotFound("Participant");
    return (await tx.participant.findUnique({ where: { id } }))!;
  });
}

/** Deletes a participant and, through the foreign keys, its custom values, ledger and tiers. */
export async function deleteParticipant(db: ScopedPrisma, id: string): Promise<string> {
  const { count } = isUuid(id) ? await db.participant.deleteMany({ where: { id } }) : { count: 0 };
  if (count === 0) throw new NotFound("Participant");
  return id;
}

