import { builder } from "./builder.js";
import { CustomFieldDefinitionRef, CustomFieldInput, CustomFieldValueRef } from "./custom-field.js";
import { PersonRef } from "./person.js";

// Person fields: custom fields of the workspace rather than of a program, with the same types,
// rules, processed values and display values (SPEC §8).

builder.queryField("personFields", (t) =>
  t.field({
    type: [CustomFieldDefinitionRef],
    description: "The workspace's person fields, oldest first.",
    args: { includeArchived: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, { includeArchived }, ctx) => ctx.services.customFields.personFields(includeArchived ?? false),
  }),
);

builder.mutationField("definePersonField", (t) =>
  t.field({
    type: CustomFieldDefinitionRef,
    description: "Defines a typed field on every person of the workspace; change it with updateCustomField.",
    args: { input: t.arg({ type: CustomFieldInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.customFields.definePersonField(input),
  }),
);

builder.prismaObjectFields(PersonRef, (t) => ({
  customFields: t.field({
    type: [CustomFieldValueRef],
    description: "Every non-archived person field, with a null value when unset.",
    resolve: (person, _args, ctx) => ctx.services.persons.fieldValues(person.id),
  }),
  customField: t.field({
    type: CustomFieldValueRef,
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: async (person, { key }, ctx) => (await ctx.services.persons.fieldValues(person.id)).find((v) => v.definition.key === key) ?? null,
  }),
}));
