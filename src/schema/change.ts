import { ChangeOperation, EntityType } from "../generated/prisma/enums.js";
import type { ChangeRow } from "../stores/change-store.js";
import { ApiKeyRef } from "./api-key.js";
import { builder } from "./builder.js";
import { NodeInterface } from "./common.js";
import { connectionOf } from "./connection.js";
import { ParticipantRef } from "./participant.js";
import { PersonRef } from "./person.js";

export const EntityTypeEnum = builder.enumType(EntityType, { name: "EntityType" });
export const ChangeOperationEnum = builder.enumType(ChangeOperation, { name: "ChangeOperation" });

type FieldChangeShape = ChangeRow["fields"][number];

const FieldChangeRef = builder.objectRef<FieldChangeShape>("FieldChange").implement({
  description: 'One changed value: ["email"], ["attributes", bucket, key], ["customFields", key], ["tags"] (a set), ….',
  fields: (t) => ({
    path: t.exposeStringList("path"),
    before: t.field({ type: "JSON", nullable: true, resolve: (f) => f.before ?? null }),
    after: t.field({ type: "JSON", nullable: true, resolve: (f) => f.after ?? null }),
  }),
});

export const ChangeRef = builder.objectRef<ChangeRow>("Change").implement({
  interfaces: [NodeInterface],
  description: "What one write did to one entity, as recorded in the same transaction.",
  fields: (t) => ({
    id: t.exposeID("id"),
    sequence: t.exposeString("position", { description: "Position in the workspace's change feed; strictly increasing." }),
    entityType: t.field({ type: EntityTypeEnum, resolve: (c) => c.entityType as EntityType }),
    entityId: t.exposeID("entityId"),
    operation: t.field({ type: ChangeOperationEnum, resolve: (c) => c.operation as ChangeOperation }),
    fields: t.field({ type: [FieldChangeRef], resolve: (c) => c.fields }),
    actor: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: "The key that made it; null for the command line.",
      resolve: (c, _args, ctx) => (c.actorKeyId ? ctx.loaders.apiKeyById.load(c.actorKeyId) : null),
    }),
    source: t.exposeString("source", { description: '"graphql", "import", "cli", or "rest:<dialect>".' }),
    requestId: t.exposeString("requestId", { nullable: true }),
    version: t.exposeInt("version", { nullable: true, description: "The entity's version after the change." }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

const ChangeConnection = connectionOf<ChangeRow>("Change", ChangeRef);

export const ChangeFilter = builder.inputType("ChangeFilter", {
  fields: (t) => ({
    entityTypes: t.field({ type: [EntityTypeEnum] }),
    entityId: t.id(),
    operations: t.field({ type: [ChangeOperationEnum] }),
    programKey: t.string(),
    since: t.field({ type: "DateTime" }),
    until: t.field({ type: "DateTime" }),
  }),
});

type FilterArg = typeof ChangeFilter.$inferInput | null | undefined;
const filterOf = (filter: FilterArg) => filter && { ...filter, entityId: filter.entityId?.toString() };

const historyArgs = builder.args((t) => ({
  first: t.int({ description: "Page size: default 20, at most 100." }),
  after: t.string({ description: "Cursor of the last edge of the previous page." }),
}));

builder.queryField("changes", (t) =>
  t.field({
    type: ChangeConnection,
    description: "The workspace's change feed, oldest first. Store `pageInfo.endCursor` and ask again with it: nothing is missed or seen twice.",
    args: { ...historyArgs, filter: t.arg({ type: ChangeFilter }) },
    resolve: (_root, args, ctx) =>
      ctx.services.changes.feed({ first: args.first, after: args.after, filter: filterOf(args.filter) }) as never,
  }),
);

for (const ref of [PersonRef, ParticipantRef] as const) {
  builder.objectField(ref as typeof PersonRef, "changes", (t) =>
    t.field({
      type: ChangeConnection,
      description: "This entity's history, newest first.",
      args: historyArgs,
      resolve: (entity, args, ctx) => ctx.services.changes.history(entity.id, args) as never,
    }),
  );
}

builder.subscriptionType({ authScopes: { read: true } });

builder.subscriptionField("changes", (t) =>
  t.field({
    type: ChangeRef,
    description: "The feed, live: changes as they commit, after replaying those after `after` when given.",
    args: { filter: t.arg({ type: ChangeFilter }), after: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      ctx.services.changes.live(filterOf(args.filter), args.after),
    resolve: (change) => change,
  }),
);
