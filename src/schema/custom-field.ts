import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { displayValue, optionsOf } from "../services/custom-value.js";
import type { StoredValue } from "../stores/participant-store.js";
import { builder } from "./builder.js";
import { CustomFieldTypeEnum, NodeInterface } from "./common.js";
import { ProgramRef } from "./program.js";


const CustomFieldOption = builder.objectRef<{ value: string; label: string }>("CustomFieldOption").implement({
  fields: (t) => ({ value: t.exposeString("value"), label: t.exposeString("label") }),
});

export const CustomFieldDefinitionRef = builder.prismaObject("CustomFieldDefinition", {
  interfaces: [NodeInterface],
  fields: (t) => ({
    id: t.exposeID("id"),
    key: t.exposeString("key"),
    label: t.exposeString("label"),
    type: t.expose("type", { type: CustomFieldTypeEnum }),
    required: t.exposeBoolean("required"),
    options: t.field({
      type: [CustomFieldOption],
      nullable: true,
      resolve: (def) => (def.options == null ? null : optionsOf(def)),
    }),
    description: t.exposeString("description", { nullable: true }),
    archived: t.exposeBoolean("archived"),
  }),
});

/** A field of a participant: its definition and its value, null when unset. */
export interface CustomFieldValueShape {
  definition: CustomFieldDefinition;
  stored: StoredValue | undefined;
}

export const CustomFieldValueRef = builder.objectRef<CustomFieldValueShape>("CustomFieldValue").implement({
  fields: (t) => ({
    key: t.string({ resolve: ({ definition }) => definition.key }),
    field: t.field({ type: CustomFieldDefinitionRef, resolve: ({ definition }) => definition }),
    value: t.field({
      type: "JSON",
      nullable: true,
      description: 'Typed: string, number, boolean, "YYYY-MM-DD", ISO date-time, option value(s).',
      resolve: ({ stored }) => stored?.[0] ?? null,
    }),
    displayValue: t.string({
      nullable: true,
      description: "Option label(s), formatted date, the text.",
      resolve: ({ definition, stored }) => displayValue(definition, stored?.[0]),
    }),
    updatedAt: t.field({ type: "DateTime", nullable: true, resolve: ({ stored }) => stored?.[1] ?? null }),
  }),
});

builder.prismaObjectField(ProgramRef, "customFields", (t) =>
  t.field({
    type: [CustomFieldDefinitionRef],
    args: { includeArchived: t.arg.boolean({ defaultValue: false }) },
    resolve: (program, { includeArchived }, ctx) => ctx.services.customFields.ofProgram(program.id, includeArchived ?? false),
  }),
);

const CustomFieldOptionInput = builder.inputType("CustomFieldOptionInput", {
  fields: (t) => ({ value: t.string({ required: true }), label: t.string({ required: true }) }),
});

export const CustomFieldInput = builder.inputType("CustomFieldInput", {
  fields: (t) => ({
    key: t.string({ required: true }),
    label: t.string({ required: true }),
    type: t.field({ type: CustomFieldTypeEnum, required: true }),
    required: t.boolean({ defaultValue: false }),
    options: t.field({ type: [CustomFieldOptionInput] }),
    description: t.string(),
  }),
});

export type CustomFieldFields = typeof CustomFieldInput.$inferInput;

const UpdateCustomFieldInput = builder.inputType("UpdateCustomFieldInput", {
  fields: (t) => ({
    label: t.string(),
    type: t.field({ type: CustomFieldTypeEnum }),
    required: t.boolean(),
    options: t.field({ type: [CustomFieldOptionInput] }),
    description: t.string(),
    archived: t.boolean({ description: "Archived fields are hidden from participants; their values are kept." }),
  }),
});

export type UpdateCustomFieldFields = typeof UpdateCustomFieldInput.$inferInput;

export const CustomFieldValueInput = builder.inputType("CustomFieldValueInput", {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.field({ type: "JSON", description: "null clears the value." }),
  }),
});

export type CustomFieldValueFields = typeof CustomFieldValueInput.$inferInput;

builder.mutationFields((t) => ({
  defineCustomField: t.field({
    type: CustomFieldDefinitionRef,
    args: { programId: t.arg.id({ required: true }), input: t.arg({ type: CustomFieldInput, required: true }) },
    resolve: (_root, { programId, input }, ctx) => ctx.services.customFields.define(String(programId), input),
  }),
  updateCustomField: t.field({
    type: CustomFieldDefinitionRef,
    description: "Changing the type or options converts every stored value, or is refused if one would not fit.",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateCustomFieldInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.customFields.update(String(id), input),
  }),
}));
