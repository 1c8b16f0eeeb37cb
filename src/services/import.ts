import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { inTransaction, sqlOf, type Tx } from "../db/transaction.js";
import { AppError, FieldErrors, fromPrismaError, InvalidInput, NotFound, type FieldError } from "../errors.js";
import type { Status } from "../generated/prisma/enums.js";
import { columnsOf } from "../stores/bulk-writes.js";
import { DEFAULT_BUCKET, optionalAttributePatch, usableBucket } from "./attributes.js";
import { checkCustomValues, requireFields, type CustomValueInput } from "./custom-field.js";
import {
  BatchWrites,
  changesAnything,
  differingColumns,
  emptyRowWrites,
  planPerson,
  storedPersons,
  valueWrites,
  type PersonPlanContext,
  type RowWrites,
  type StoredPerson,
} from "./import-plan.js";
import type { PersonInput } from "./person.js";
import { profileString } from "./profile.js";
import type { RequestScope } from "./scope.js";
import { optionalTags } from "./validate.js";

/** How many rows one call takes (SPEC §11). */
export const IMPORT_LIMIT = 1000;

export type ImportStatus = "CREATED" | "UPDATED" | "UNCHANGED" | "FAILED";
export interface ImportRowResult {
  index: number;
  status: ImportStatus;
  id: string | null;
  errors: FieldError[];
}
export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rows: ImportRowResult[];
}

export interface ImportParticipantInput {
  externalId: string;
  person: PersonInput;
  status?: Status | null;
  tags?: string[] | null;
  attributes?: Record<string, unknown> | null;
  customFields?: CustomValueInput[] | null;
}

interface Indexed<R> {
  index: number;
  input: R;
}

/** What kind of rows a call imports, and how a batch of them is planned. */
interface ImportKind<R> {
  /** Whether some row writes attributes (into the bucket "default", which the key must be allowed). */
  needsBucket: boolean;
  /** The program new participants join. */
  programId?: string;
  /** Each row's result inside the transaction, and the writes of the valid ones added to the batch. */
  plan: (tx: Tx, ctx: PersonPlanContext, rows: Indexed<R>[], batch: BatchWrites) => Promise<ImportRowResult[]>;
}

const failed = (index: number, errors: readonly FieldError[]): ImportRowResult => ({ index, status: "FAILED", id: null, errors: [...errors] });

/** A row's result once its writes are known: what it would do, or FAILED with its errors. */
function outcome(index: number, id: string, errors: FieldErrors, writes: RowWrites, created: boolean, batch: BatchWrites): ImportRowResult {
  if (!errors.isEmpty) return failed(index, errors.list);
  if (!changesAnything(writes)) return { index, status: "UNCHANGED", id, errors: [] };
  batch.add(writes);
  return { index, status: created ? "CREATED" : "UPDATED", id, errors: [] };
}

/** Thrown inside the batch's transaction when the database refused its writes. */
class BatchRefused extends Error {
  constructor(readonly cause: unknown) {
    super("the database refused the batch");
  }
}

/**
 * Runs an import: rows planned and written together in one transaction, as the importing caller
 * (its changes say "import"). When the database refuses the batch (a value taken by another
 * person, a concurrent writer), each row is tried again alone, so that only the refused row fails.
 */
async function runImport<R>(db: ScopedPrisma, caller: Caller, rows: R[], dryRun: boolean, kind: ImportKind<R>): Promise<ImportResult> {
  if (rows.length > IMPORT_LIMIT) throw InvalidInput.field(["rows"], `At most ${IMPORT_LIMIT} rows per call; split the file into calls.`);
  const importer: Caller = { ...caller, source: "import" };
  const batch = (indexed: Indexed<R>[]) =>
    inTransaction(db, importer, async (tx) => {
      const writes = new BatchWrites();
      const ctx = await personContext(tx, importer, kind.needsBucket);
      const results = await kind.plan(tx, ctx, indexed, writes);
      if (!dryRun) await writes.apply(tx, caller.workspaceId, ctx.bucketId, kind.programId).catch((error) => Promise.reject(new BatchRefused(error)));
      return results;
    });
  const indexed = rows.map((input, index) => ({ index, input }));
  let results: ImportRowResult[];
  try {
    results = await batch(indexed);
  } catch (error) {
    if (!(error instanceof BatchRefused) || indexed.length === 1) throw error instanceof BatchRefused ? error.cause : error;
    results = [];
    for (const row of indexed) {
      results.push(...(await batch([row]).catch((e) => [failed(row.index, [{ path: ["rows", String(row.index)], message: refusal(e) }])])));
    }
  }
  const count = (status: ImportStatus) => results.filter((r) => r.status === status).length;
  return { created: count("CREATED"), updated: count("UPDATED"), unchanged: count("UNCHANGED"), failed: count("FAILED"), rows: results };
}

function refusal(error: unknown): string {
  const cause = error instanceof BatchRefused ? error.cause : error;
  const known = cause instanceof AppError ? cause : fromPrismaError(cause);
  if (!known) throw cause;
  return known.message;
}

/** What every row of a call is checked against, read once per batch. */
async function personContext(tx: Tx, caller: Caller, needsBucket: boolean): Promise<PersonPlanContext> {
  const personFields = await tx.customFieldDefinition.findMany({ where: { programId: null } });
  const bucketId = needsBucket ? (await usableBucket(sqlOf(tx), caller, DEFAULT_BUCKET)).id : null;
  return { workspaceId: caller.workspaceId, personFields, bucketId };
}

const hasAttributes = (input: { attributes?: unknown }) => input.attributes != null && Object.keys(input.attributes).length > 0;

/** A row's external id, required: the key it is upserted by. */
function keyOf(raw: string | null | undefined, path: string[], errors: FieldErrors): string | null {
  if (raw == null || raw.trim() === "") {
    errors.add(path, "An external id is required: rows are upserted by it.");
    return null;
  }
  return profileString("externalId", raw, path, errors) ?? null;
}

/** Flags the second and later rows naming the same record: which one should win is not knowable. */
function onlyOnce(seen: Map<string, number>, key: string | null | undefined, index: number, path: string[], errors: FieldErrors): void {
  if (!key) return;
  const first = seen.get(key);
  if (first !== undefined) errors.add(path, `Row ${first} names the same record ("${key}"); give it once per call.`);
  else seen.set(key, index);
}

interface RowContext<R, S> {
  input: R;
  index: number;
  path: string[];
  errors: FieldErrors;
  key: string | null;
  /** What is stored under the row's key, if anything. */
  current: S | undefined;
}

/** Each row with its path, its errors and what its key names; a key named twice fails from its second row on. */
function eachRow<R extends { externalId?: string | null }, S>(indexed: Indexed<R>[], stored: Map<string | null, S>, fn: (row: RowContext<R, S>) => ImportRowResult): ImportRowResult[] {
  const seen = new Map<string, number>();
  return indexed.map(({ input, index }) => {
    const path = ["rows", String(index)];
    const errors = new FieldErrors();
    const key = keyOf(input.externalId, [...path, "externalId"], errors);
    onlyOnce(seen, key, index, [...path, "externalId"], errors);
    return fn({ input, index, path, errors, key, current: key ? stored.get(key) : undefined });
  });
}

export function importPeople(db: ScopedPrisma, caller: Caller, rows: PersonInput[], dryRun = false): Promise<ImportResult> {
  return runImport(db, caller, rows, dryRun, {
    needsBucket: rows.some(hasAttributes),
    async plan(tx, ctx, indexed, batch) {
      const keys = indexed.map(({ input, index }) => profileString("externalId", input.externalId, ["rows", String(index), "externalId"], new FieldErrors()));
      const stored = await storedPersons(tx, caller.workspaceId, ctx.bucketId, { ids: [], externalIds: keys.filter((k): k is string => !!k) });
      const byKey = new Map(stored.map((p) => [p.row.externalId, p]));
      return eachRow(indexed, byKey, ({ input, index, path, errors, current }) => {
        const writes = emptyRowWrites();
        const id = planPerson(ctx, input, path, current, errors, writes);
        return outcome(index, id, errors, writes, !current, batch);
      });
    },
  });
}

export async function importParticipants(db: ScopedPrisma, caller: Caller, programKey: string, rows: ImportParticipantInput[], dryRun = false): Promise<ImportResult> {
  const program = await db.program.findFirst({ where: { key: programKey } });
  if (!program) throw new NotFound(`Program "${programKey}"`);
  return runImport(db, caller, rows, dryRun, {
    needsBucket: rows.some((row) => hasAttributes(row.person ?? {})),
    programId: program.id,
    async plan(tx, ctx, indexed, batch) {
      const definitions = await tx.customFieldDefinition.findMany({ where: { programId: program.id } });
      const keys = indexed.map(({ input }) => input.externalId?.trim()).filter(Boolean);
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM participant WHERE program_id = ${program.id}::uuid AND workspace_id = ${caller.workspaceId}::uuid AND external_id = ANY(${keys}::text[])
        ORDER BY id FOR UPDATE`;
      const participants = await tx.participant.findMany({ where: { id: { in: locked.map((p) => p.id) } } });
      const values = await tx.customFieldValue.findMany({ where: { participantId: { in: locked.map((p) => p.id) } }, select: { participantId: true, fieldId: true, value: true } });
      const valuesOf = new Map(participants.map((p) => [p.id, new Map<string, unknown>()]));
      for (const v of values) valuesOf.get(v.participantId)!.set(v.fieldId, v.value);
      const byKey = new Map(participants.map((p) => [p.externalId, p]));
      const personKeys = indexed.map(({ input }) => input.person?.externalId?.trim()).filter((k): k is string => !!k);
      const persons = await storedPersons(tx, caller.workspaceId, ctx.bucketId, { ids: participants.map((p) => p.personId), externalIds: personKeys });
      const personById = new Map(persons.map((p) => [p.row.id, p]));
      const personByKey = new Map(persons.filter((p) => p.row.externalId).map((p) => [p.row.externalId!, p]));
      // Who of them is already in the program, under which external id.
      const enrolled = new Map(
        (await tx.participant.findMany({ where: { programId: program.id, personId: { in: persons.map((p) => p.row.id) } }, select: { personId: true, externalId: true } })).map((p) => [p.personId, p.externalId]),
      );
      const seenPersons = new Map<string, number>();
      return eachRow(indexed, byKey, ({ input, index, path, errors, key, current }) => {
        const personKey = input.person?.externalId?.trim() || undefined;
        let person: StoredPerson | undefined = current ? personById.get(current.personId) : personKey ? personByKey.get(personKey) : undefined;
        if (!current && person && enrolled.has(person.row.id)) {
          errors.add([...path, "person", "externalId"], `This person is already in the program as participant "${enrolled.get(person.row.id) ?? "(no external id)"}".`);
        }
        if (current && personKey && personKey !== person?.row.externalId && personByKey.has(personKey)) {
          errors.add([...path, "person", "externalId"], `Another person has the external id "${personKey}".`);
          person = undefined;
        }
        onlyOnce(seenPersons, person?.row.id ?? personKey, index, [...path, "person", "externalId"], errors);

        const writes = emptyRowWrites();
        const personId = planPerson(ctx, input.person ?? {}, [...path, "person"], person, errors, writes);
        const id = current?.id ?? randomUUID();
        const tags = optionalTags(input.tags, [...path, "tags"], errors);
        const attributes = optionalAttributePatch(input.attributes, [...path, "attributes"], errors);
        if (input.status === null) errors.add([...path, "status"], "Cannot be null; omit it to leave the status as it is.");
        const customInputs = input.customFields ?? [];
        if (input.customFields === null) errors.add([...path, "customFields"], "Cannot be null; omit it instead.");
        const checkedValues = checkCustomValues(definitions, customInputs, [...path, "customFields"], errors);
        if (!current) requireFields(definitions, customInputs, [...path, "customFields"], errors);

        const merged = { ...((current?.attributes as Record<string, unknown> | undefined) ?? {}), ...(attributes?.set ?? {}) };
        for (const k of attributes?.remove ?? []) delete merged[k];
        const data = differingColumns({ tags, status: input.status ?? undefined, attributes: attributes ? merged : undefined }, current);
        if (data.status) Object.assign(data, { statusReason: null, statusChangedAt: new Date() });
        writes.participantValues = valueWrites(id, checkedValues, current ? valuesOf.get(current.id) : undefined);
        if (!current) {
          writes.participantInsert = columnsOf({ ...data, id, workspaceId: caller.workspaceId, programId: program.id, personId, externalId: key, attributes: merged });
        } else if (Object.keys(data).length > 0 || writes.participantValues.set.length > 0 || writes.participantValues.clear.length > 0) {
          writes.participantPatch = { id, patch: columnsOf(data) };
        }
        return outcome(index, id, errors, writes, !current, batch);
      });
    },
  });
}

/** Imports for one request: the same code as the command line's. */
export function importService({ db, caller }: RequestScope) {
  return {
    people: (rows: PersonInput[], dryRun: boolean) => importPeople(db, caller, rows, dryRun),
    participants: (programKey: string, rows: ImportParticipantInput[], dryRun: boolean) => importParticipants(db, caller, programKey, rows, dryRun),
  };
}

