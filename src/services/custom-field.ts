import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { inTransaction, type Tx } from "../db/transaction.js";
import { Conflict, FieldErrors, InvalidInput, NotFound } from "../errors.js";
import type { CustomFieldDefinition, Prisma } from "../generated/prisma/client.js";
import { renderFieldDisplays, replaceCustomValues, storedValues, type ValueToSet } from "../stores/custom-value-writes.js";
import { displayValue, type FieldType, type Option, optionsOf, parseCustomValue } from "./custom-value.js";
import type { CustomFieldFields, CustomFieldValueFields, UpdateCustomFieldFields } from "../schema/custom-field.js";
import type { RequestScope } from "./scope.js";
import { isStorableText, isUuid } from "./validate.js";

const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SELECT_TYPES: FieldType[] = ["SELECT", "MULTI_SELECT"];

/** The GraphQL inputs, as the schema declares them. */
export type DefineCustomFieldInput = CustomFieldFields;
export type UpdateCustomFieldInput = UpdateCustomFieldFields;

function checkLabel(label: string, errors: FieldErrors): string {
  const trimmed = label.trim();
  if (!trimmed || trimmed.length > 255 || !isStorableText(trimmed)) errors.add(["input", "label"], "A label has 1 to 255 characters.");
  return trimmed;
}

function checkOptions(type: FieldType, options: Option[] | null | undefined, errors: FieldErrors): Option[] | null {
  if (!SELECT_TYPES.includes(type)) {
    if (options && options.length > 0) errors.add(["input", "options"], `Only SELECT and MULTI_SELECT fields have options.`);
    return null;
  }
  if (!options || options.length === 0) {
    errors.add(["input", "options"], `A ${type} field needs at least one option.`);
    return null;
  }
  const seen = new Set<string>();
  options.forEach((o, i) => {
    if (!o.value.trim() || !o.label.trim()) errors.add(["input", "options", String(i)], "An option needs a value and a label.");
    if (seen.has(o.value)) errors.add(["input", "options", String(i)], `The option value "${o.value}" is repeated.`);
    seen.add(o.value);
  });
  return options.map((o) => ({ value: o.value, label: o.label.trim() }));
}

/** Defines a program's custom field, or (`"person"`) a person field of the workspace. */
export async function defineCustomField(db: ScopedPrisma, caller: Caller, owner: { programId: string } | "person", input: DefineCustomFieldInput) {
  const errors = new FieldErrors();
  if (!KEY.test(input.key)) errors.add(["input", "key"], "A key starts with a letter and has up to 64 letters, digits or underscores.");
  const label = checkLabel(input.label, errors);
  const options = checkOptions(input.type, input.options, errors);
  errors.throwIfAny();
  return inTransaction(db, caller, async (tx) => {
    const programId = owner === "person" ? null : owner.programId;
    const program = programId === null ? null : isUuid(programId) ? await tx.program.findUnique({ where: { id: programId } }) : null;
    if (programId !== null && !program) throw new NotFound("Program");
    const existing = await tx.customFieldDefinition.findFirst({ where: { programId, key: input.key } });
    if (existing) throw new Conflict(`${program ? "The program" : "The workspace"} already has a ${program ? "custom" : "person"} field "${input.key}".`);
    return tx.customFieldDefinition.create({
      data: {
        programId,
        key: input.key,
        label,
        type: input.type,
        required: input.required ?? false,
        options: (options ?? undefined) as Prisma.InputJsonValue | undefined,
        description: input.description?.trim() || null,
      } as Prisma.CustomFieldDefinitionUncheckedCreateInput,
    });
  });
}

/**
 * Changes a definition. A new type or option list is applied to every stored value in the same
 * transaction: each value is converted, or the change is refused naming how many would not fit.
 */
export async function updateCustomField(db: ScopedPrisma, caller: Caller, id: string, input: UpdateCustomFieldInput) {
  const errors = new FieldErrors();
  for (const key of ["type", "required", "archived"] as const) {
    if (input[key] === null) errors.add(["input", key], "Cannot be null.");
  }
  const label = input.label === undefined ? undefined : input.label === null ? (errors.add(["input", "label"], "Cannot be null."), undefined) : checkLabel(input.label, errors);
  errors.throwIfAny();
  return inTransaction(db, caller, async (tx) => {
    const current = isUuid(id) ? await tx.customFieldDefinition.findUnique({ where: { id } }) : null;
    if (!current) throw new NotFound("Custom field");
    const type = input.type ?? current.type;
    const optionsGiven = input.options !== undefined || type !== current.type;
    const options = optionsGiven ? checkOptions(type, input.options !== undefined ? input.options : optionsOf(current), errors) : optionsOf(current);
    errors.throwIfAny();
    const next = { type, options: options as unknown as Prisma.JsonValue };
    const rendered = type !== current.type || optionsGiven;
    if (rendered) await convertStoredValues(tx, current, next);
    const updated = await tx.customFieldDefinition.update({
      where: { id },
      data: {
        label,
        type,
        options: optionsGiven ? ((options ?? undefined) as Prisma.InputJsonValue | undefined) : undefined,
        required: input.required ?? undefined,
        archived: input.archived ?? undefined,
        description: input.description === undefined ? undefined : input.description?.trim() || null,
        updatedAt: new Date(),
      },
    });
    // A value's display shows its type's form and its option's label.
    if (rendered) await renderFieldDisplays(tx, updated);
    return updated;
  });
}

async function convertStoredValues(
  tx: Tx,
  field: CustomFieldDefinition,
  next: Pick<CustomFieldDefinition, "type" | "options">,
): Promise<void> {
  const converted: { ownerId: string; value: unknown }[] = [];
  let refused = 0;
  for (const stored of await storedValues(tx, field)) {
    const parsed = parseCustomValue(next, stored.value, true);
    if (parsed.ok) converted.push({ ownerId: stored.ownerId, value: parsed.value });
    else refused++;
  }
  if (refused > 0) {
    throw new InvalidInput([
      {
        path: ["input", next.type !== field.type ? "type" : "options"],
        message: `${refused} stored value(s) of "${field.key}" would not fit the new definition; change or clear them first.`,
      },
    ]);
  }
  if (converted.length === 0) return;
  await replaceCustomValues(tx, field, converted);
}

export type CustomValueInput = CustomFieldValueFields;

/** At creation, every required (non-archived) field must be given a value. */
export function requireFields(definitions: CustomFieldDefinition[], inputs: CustomValueInput[], path: string[], errors: FieldErrors): void {
  const given = new Set(inputs.filter((c) => c.value != null).map((c) => c.key));
  for (const def of definitions) if (def.required && !def.archived && !given.has(def.key)) errors.add([...path, def.key], `"${def.key}" is required.`);
}

/**
 * Validates custom values against a program's definitions. Unknown or archived keys, bad values
 * and clearing a required field are reported under `path`, by key. Each value to set comes
 * with its display, stored beside it (a participant's).
 */
export function checkCustomValues(
  definitions: CustomFieldDefinition[],
  inputs: CustomValueInput[],
  path: string[],
  errors: FieldErrors,
): { set: ValueToSet[]; clear: string[] } {
  const byKey = new Map(definitions.filter((d) => !d.archived).map((d) => [d.key, d]));
  const set: ValueToSet[] = [];
  const clear: string[] = [];
  const seen = new Set<string>();
  for (const { key, value } of inputs) {
    const def = byKey.get(key);
    if (seen.has(key)) {
      errors.add([...path, key], `"${key}" is given more than once.`);
    } else if (!def) {
      errors.add([...path, key], `The program has no custom field "${key}".`);
    } else if (value === null || value === undefined) {
      if (def.required) errors.add([...path, key], `"${key}" is required and cannot be cleared.`);
      else clear.push(def.id);
    } else {
      const parsed = parseCustomValue(def, value);
      if (parsed.ok) set.push({ fieldId: def.id, value: parsed.value, display: displayValue(def, parsed.value) });
      else errors.add([...path, key], parsed.error);
    }
    seen.add(key);
  }
  return { set, clear };
}


/** Custom field definitions for one request. */
export function customFieldService({ db, caller, loaders }: RequestScope) {
  return {
    define: (programId: string, input: DefineCustomFieldInput) => defineCustomField(db, caller, { programId }, input),
    definePersonField: (input: DefineCustomFieldInput) => defineCustomField(db, caller, "person", input),
    /** The workspace's person fields, oldest first; archived ones only when asked for. */
    async personFields(includeArchived: boolean) {
      const fields = await loaders.personFields.load("all");
      return includeArchived ? fields : fields.filter((f) => !f.archived);
    },
    update: (id: string, input: UpdateCustomFieldInput) => updateCustomField(db, caller, id, input),
    /** A program's fields, oldest first; archived ones only when asked for. */
    async ofProgram(programId: string, includeArchived: boolean) {
      const fields = await loaders.customFieldsByProgramId.load(programId);
      return includeArchived ? fields : fields.filter((f) => !f.archived);
    },
  };
}
