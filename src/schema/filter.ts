import { builder, type InputFields } from "./builder.js";
import { StatusEnum } from "./common.js";

export const AttributeFilter = builder.inputType("AttributeFilter", {
  fields: (t) => ({
    key: t.string({ required: true }),
    equals: t.field({ type: "JSON", required: true }),
    bucket: t.string({ defaultValue: "default" }),
  }),
});

/** The filter fields that persons and participants share. */
export const commonFilterFields = (t: InputFields) => ({
  status: t.field({ type: StatusEnum }),
  tagsAny: t.stringList(),
  tagsAll: t.stringList(),
  externalId: t.string(),
  email: t.string({ description: "Case-insensitive." }),
  search: t.string({ description: "Case-insensitive substring of first, last or display name, or e-mail." }),
  attributes: t.field({ type: [AttributeFilter] }),
  createdAfter: t.field({ type: "DateTime" }),
  createdBefore: t.field({ type: "DateTime" }),
  updatedAfter: t.field({ type: "DateTime" }),
  updatedBefore: t.field({ type: "DateTime" }),
});

export const CustomFieldFilter = builder.inputType("CustomFieldFilter", {
  fields: (t) => ({ key: t.string({ required: true }), equals: t.field({ type: "JSON", required: true }) }),
});
