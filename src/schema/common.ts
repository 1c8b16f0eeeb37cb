import { BalanceBucket, CustomFieldType, Gender, LedgerKind, PersonType, Status } from "../generated/prisma/enums.js";
import { builder } from "./builder.js";

// The database's enums are the schema's: declared once, in prisma/schema.prisma.
export const StatusEnum = builder.enumType(Status, { name: "Status" });
export const PersonTypeEnum = builder.enumType(PersonType, { name: "PersonType" });
export const GenderEnum = builder.enumType(Gender, { name: "Gender" });
export const CustomFieldTypeEnum = builder.enumType(CustomFieldType, { name: "CustomFieldType" });
export const LedgerKindEnum = builder.enumType(LedgerKind, { name: "LedgerKind", description: "TIER entries are written by setTier only." });
export const BalanceBucketEnum = builder.enumType(BalanceBucket, { name: "BalanceBucket" });
export const ScopeEnum = builder.enumType("Scope", { values: ["READ", "WRITE", "ADMIN"] as const });
export const OrderDirectionEnum = builder.enumType("OrderDirection", { values: ["ASC", "DESC"] as const });

/** Objects returned by `node` carry their GraphQL type name under this key. */
export const NODE_TYPE = Symbol("nodeType");

export const NodeInterface = builder.interfaceRef<{ id: string }>("Node").implement({
  fields: (t) => ({ id: t.exposeID("id") }),
  resolveType: (value) => (value as { [NODE_TYPE]?: string })[NODE_TYPE] ?? null,
});

export const DeletePayload = builder.objectRef<{ deletedId: string }>("DeletePayload").implement({
  fields: (t) => ({ deletedId: t.exposeID("deletedId") }),
});

/** Arguments shared by every connection field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ description: "Page size: default 20, at most 100." }),
  after: t.string({ description: "Cursor of the last edge of the previous page." }),
  last: t.int({ description: "Page size when paging backward (with `before`): default 20, at most 100." }),
  before: t.string({ description: "Cursor of the first edge of the following page, to page backward." }),
}));

/** `<Name>OrderField` (the keys of a table of sorts) and `<Name>Order` { field, direction = ASC }. */
export function orderInput<F extends string>(name: string, sorts: Record<F, unknown>) {
  const fields = builder.enumType(`${name}OrderField`, { values: Object.keys(sorts) as F[] });
  return builder.inputType(`${name}Order`, {
    fields: (t) => ({
      field: t.field({ type: fields, required: true }),
      direction: t.field({ type: OrderDirectionEnum, required: true, defaultValue: "ASC" }),
    }),
  });
}

/** How a write names a person: `id` or `externalId`, exactly one (SPEC §7). */
export const personLookupArgs = builder.args((t) => ({
  id: t.id({ description: "The person's id; or give `externalId`." }),
  externalId: t.string({ description: "The caller's id for the person; or give `id`." }),
}));

/** How a write names a participant: `id`, or `programKey` with `serialNumber` or `externalId` (SPEC §7). */
export const participantLookupArgs = builder.args((t) => ({
  id: t.id(),
  programKey: t.string({ description: "With `serialNumber` or `externalId`." }),
  serialNumber: t.int(),
  externalId: t.string({ description: "The participant's external id in its program." }),
}));

/** Lookup arguments with the id as a string. */
export const lookup = <T extends { id?: string | number | null }>(args: T) => ({ ...args, id: args.id == null ? args.id : String(args.id) }) as Omit<T, "id"> & { id?: string | null };
