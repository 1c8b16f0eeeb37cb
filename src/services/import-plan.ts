import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { sqlOf, type Tx } from "../db/transaction.js";
import type { FieldErrors } from "../errors.js";
import { Prisma, type CustomFieldDefinition, type Person } from "../generated/prisma/client.js";
import {
  columnsOf,
  insertRows,
  patchRows,
  writeIdentities,
  writePersonAttributes,
  type AttributeWrite,
  type Columns,
  type IdentityWrite,
} from "../stores/bulk-writes.js";
import { writeValuesOf, type ValueWrite } from "../stores/custom-value-writes.js";
import { checkCustomValues, requireFields } from "./custom-field.js";
import { checkPersonInput, type PersonInput } from "./person.js";
import type { ProfileChanges } from "./profile.js";

// An import compares each row with what is stored and writes only what differs, for a whole
// batch at once: rows are planned here (validated, compared, turned into writes), then the
// batch's writes go out in a few statements (BatchWrites.apply).

/** A value as it is stored, for comparing: dates as ISO strings, JSON nulls and omissions as null. */
const asStored = (value: unknown): unknown =>
  value === undefined || value === Prisma.DbNull || value === Prisma.JsonNull ? null : JSON.parse(JSON.stringify(value));
export const sameValue = (a: unknown, b: unknown) => isDeepStrictEqual(asStored(a), asStored(b));

/** What is stored of one person that an import can change. */
export interface StoredPerson {
  row: Person;
  /** The bucket "default", by key. */
  attributes: Map<string, unknown>;
  /** Person field values, by field id. */
  values: Map<string, unknown>;
  /** Ids in other systems, by system. */
  identities: Map<string, string>;
}

/** The persons with these ids or external ids, locked until the transaction ends, with what hangs off them. */
export async function storedPersons(tx: Tx, workspaceId: string, bucketId: string | null, which: { ids: string[]; externalIds: string[] }): Promise<StoredPerson[]> {
  if (which.ids.length === 0 && which.externalIds.length === 0) return [];
  // Locked in id order, so that two imports touching the same persons wait for each other instead of deadlocking.
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM person WHERE workspace_id = ${workspaceId}::uuid AND (id = ANY(${which.ids}::uuid[]) OR external_id = ANY(${which.externalIds}::text[]))
    ORDER BY id FOR UPDATE`;
  const ids = locked.map((p) => p.id);
  if (ids.length === 0) return [];
  const [rows, attributes, values, identities] = await Promise.all([
    tx.person.findMany({ where: { id: { in: ids } } }),
    bucketId ? tx.personAttribute.findMany({ where: { personId: { in: ids }, bucketId }, select: { personId: true, key: true, value: true } }) : [],
    tx.personFieldValue.findMany({ where: { personId: { in: ids } }, select: { personId: true, fieldId: true, value: true } }),
    tx.personIdentity.findMany({ where: { personId: { in: ids } }, select: { personId: true, system: true, externalId: true } }),
  ]);
  const byId = new Map(rows.map((row) => [row.id, { row, attributes: new Map(), values: new Map(), identities: new Map() } as StoredPerson]));
  for (const a of attributes) byId.get(a.personId)!.attributes.set(a.key, a.value);
  for (const v of values) byId.get(v.personId)!.values.set(v.fieldId, v.value);
  for (const i of identities) byId.get(i.personId)!.identities.set(i.system, i.externalId);
  return [...byId.values()];
}

/** Everything of one row that goes to the database, kept apart until the row is known to be valid. */
export interface RowWrites {
  personInsert?: Columns;
  personPatch?: { id: string; patch: Columns };
  attributes: { set: AttributeWrite[]; remove: AttributeWrite[] };
  personValues: { set: ValueWrite[]; clear: ValueWrite[] };
  identities: { set: IdentityWrite[]; remove: IdentityWrite[] };
  participantInsert?: Columns;
  participantPatch?: { id: string; patch: Columns };
  participantValues: { set: ValueWrite[]; clear: ValueWrite[] };
}

export const emptyRowWrites = (): RowWrites => ({
  attributes: { set: [], remove: [] },
  personValues: { set: [], clear: [] },
  identities: { set: [], remove: [] },
  participantValues: { set: [], clear: [] },
});

/** Whether a row's writes change anything. */
export const changesAnything = (w: RowWrites) =>
  Boolean(w.personInsert || w.personPatch || w.participantInsert || w.participantPatch);

/** The writes of a batch's valid rows, sent together. */
export class BatchWrites {
  private readonly rows: RowWrites[] = [];

  add(row: RowWrites): void {
    this.rows.push(row);
  }

  /**
   * Rows first, parts after, so that every part's change carries its owner's new version; new
   * participants take the program's next serial numbers in the order of the rows.
   */
  async apply(tx: Tx, workspaceId: string, bucketId: string | null, programId?: string): Promise<void> {
    const all = <T>(pick: (w: RowWrites) => T | undefined) => this.rows.map(pick).filter((v): v is T => v !== undefined);
    const flat = <T>(pick: (w: RowWrites) => T[]) => this.rows.flatMap(pick);
    await insertRows(tx, "person", all((w) => w.personInsert));
    await patchRows(tx, "person", workspaceId, all((w) => w.personPatch));
    if (bucketId) await writePersonAttributes(sqlOf(tx), workspaceId, bucketId, flat((w) => w.attributes.set), flat((w) => w.attributes.remove));
    await writeValuesOf(sqlOf(tx), "person", workspaceId, flat((w) => w.personValues.set), flat((w) => w.personValues.clear));
    await writeIdentities(tx, workspaceId, flat((w) => w.identities.set), flat((w) => w.identities.remove));
    const participants = all((w) => w.participantInsert);
    if (participants.length > 0 && programId) {
      const [{ last }] = await tx.$queryRaw<{ last: number }[]>`
        UPDATE program SET last_serial = last_serial + ${participants.length} WHERE id = ${programId}::uuid AND workspace_id = ${workspaceId}::uuid RETURNING last_serial AS last`;
      participants.forEach((p, i) => (p.serial_number = last - participants.length + 1 + i));
      await insertRows(tx, "participant", participants);
    }
    await patchRows(tx, "participant", workspaceId, all((w) => w.participantPatch));
    await writeValuesOf(sqlOf(tx), "participant", workspaceId, flat((w) => w.participantValues.set), flat((w) => w.participantValues.clear));
  }
}

/** Values of one owner by field: those that differ from what is stored are set, cleared ones that are stored are removed. */
export function valueWrites(ownerId: string, checked: { set: { fieldId: string; value: unknown }[]; clear: string[] }, stored: Map<string, unknown> | undefined) {
  return {
    set: checked.set.filter((v) => !stored?.has(v.fieldId) || !sameValue(stored.get(v.fieldId), v.value)).map((v) => ({ ownerId, ...v })),
    clear: checked.clear.filter((fieldId) => stored?.has(fieldId)).map((fieldId) => ({ ownerId, fieldId })),
  };
}

/** The columns of a row that differ from what is stored (all of them for a new row). */
export function differingColumns<T extends object>(data: Record<string, unknown>, stored: T | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([field, value]) => value !== undefined && (!stored || !sameValue(value, stored[field as keyof T]))));
}

/** First and last seen after an import's values, as markSeen moves them: only ever outwards. */
function seenAfter(row: Person | undefined, seen: ProfileChanges["seen"]): { firstSeenAt?: Date; lastSeenAt?: Date } {
  if (!seen) return {};
  const times = (...dates: (Date | null | undefined)[]) => dates.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  const last = times(row?.lastSeenAt, seen.last);
  const first = times(row?.firstSeenAt, seen.first, row?.firstSeenAt == null && seen.first == null ? seen.last : undefined);
  return {
    ...(last.length ? { lastSeenAt: new Date(Math.max(...last)) } : {}),
    ...(first.length ? { firstSeenAt: new Date(Math.min(...first)) } : {}),
  };
}

export interface PersonPlanContext {
  workspaceId: string;
  personFields: CustomFieldDefinition[];
  /** The bucket "default", when some row of the call has attributes. */
  bucketId: string | null;
}

/**
 * One person of an import row, checked like createPerson (or, when stored, like an update of
 * it) and compared with what is stored. Adds its errors under `path`, its writes to `writes`;
 * returns the person's id (new ones get theirs here).
 */
export function planPerson(ctx: PersonPlanContext, input: PersonInput, path: string[], stored: StoredPerson | undefined, errors: FieldErrors, writes: RowWrites): string {
  const checked = checkPersonInput(input, path, errors, stored?.row);
  const customInputs = checked.customFields?.inputs ?? [];
  const values = checkCustomValues(ctx.personFields, customInputs, [...path, "customFields"], errors);
  if (!stored) requireFields(ctx.personFields, customInputs, [...path, "customFields"], errors);
  const id = stored?.row.id ?? randomUUID();
  const data = { ...(checked.data as Record<string, unknown>), ...seenAfter(stored?.row, checked.changes.seen) };
  const columns = differingColumns(data, stored?.row);
  if (!stored) writes.personInsert = columnsOf({ ...columns, id, workspaceId: ctx.workspaceId });

  const attributes = checked.attributes ?? { set: {}, remove: [] };
  writes.attributes = {
    set: Object.entries(attributes.set).filter(([key, value]) => !stored?.attributes.has(key) || !sameValue(stored.attributes.get(key), value)).map(([key, value]) => ({ personId: id, key, value })),
    remove: attributes.remove.filter((key) => stored?.attributes.has(key)).map((key) => ({ personId: id, key })),
  };
  writes.personValues = valueWrites(id, values, stored?.values);
  const identities = checked.changes.identities ?? { set: [], remove: [] };
  writes.identities = {
    set: identities.set.filter((i) => stored?.identities.get(i.system) !== i.id).map((i) => ({ personId: id, ...i })),
    remove: identities.remove.filter((system) => stored?.identities.has(system)).map((system) => ({ personId: id, system })),
  };
  const partsChanged = [writes.attributes, writes.personValues, writes.identities].some((part) => Object.values(part).some((list) => list.length > 0));
  if (stored && (Object.keys(columns).length > 0 || partsChanged)) writes.personPatch = { id, patch: columnsOf(columns) };
  return id;
}
