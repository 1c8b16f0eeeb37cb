import { queryFromInfo } from "@pothos/plugin-prisma";
import type { Prisma } from "../generated/prisma/client.js";
import { participantWhere } from "../services/filters.js";
import { keysetPage, type PageArgs, type SortSpec } from "../services/pagination.js";
import {
  deleteParticipant,
  enrollParticipant,
  findParticipant,
  setParticipantStatus,
  updateParticipant,
} from "../services/participant.js";
import { builder, type Context } from "./builder.js";
import { DeletePayload, NodeInterface, OrderDirectionEnum, pageArgs, StatusEnum } from "./common.js";
import { connectionOf, nodeQuery } from "./connection.js";
import { CustomFieldValueInput, CustomFieldValueRef, type CustomFieldValueShape } from "./custom-field.js";
import { commonFilterFields } from "./filter.js";
import { CreatePersonInput, PersonRef } from "./person.js";
import { ProgramRef } from "./program.js";

/**
 * Every non-archived field of the participant's program with its value: definitions once per
 * program and values once per page, each in one statement. Joining them into the page's own
 * statement repeats every definition on every row, which measured several times slower.
 */
async function customFieldValues(p: { id: string; programId: string }, ctx: Context): Promise<CustomFieldValueShape[]> {
  const [definitions, values] = await Promise.all([
    ctx.loaders.customFieldsByProgramId.load(p.programId),
    ctx.loaders.customValuesByParticipantId.load(p.id),
  ]);
  const byField = new Map(values.map((v) => [v.fieldId, v]));
  return definitions.filter((d) => !d.archived).map((definition) => ({ definition, stored: byField.get(definition.id) }));
}

export const ParticipantRef = builder.prismaObject("Participant", {
  interfaces: [NodeInterface],
  description: "A person's enrolment in a program.",
  fields: (t) => ({
    id: t.exposeID("id"),
    program: t.relation("program"),
    person: t.relation("person"),
    serialNumber: t.exposeInt("serialNumber"),
    externalId: t.exposeString("externalId", { nullable: true }),
    status: t.expose("status", { type: StatusEnum }),
    statusReason: t.exposeString("statusReason", { nullable: true }),
    statusChangedAt: t.expose("statusChangedAt", { type: "DateTime", nullable: true }),
    // The profile is the person's: these read through to it.
    email: t.string({ nullable: true, select: { person: { select: { email: true } } }, resolve: (p) => p.person.email }),
    phone: t.string({ nullable: true, select: { person: { select: { phone: true } } }, resolve: (p) => p.person.phone }),
    firstName: t.string({ nullable: true, select: { person: { select: { firstName: true } } }, resolve: (p) => p.person.firstName }),
    lastName: t.string({ nullable: true, select: { person: { select: { lastName: true } } }, resolve: (p) => p.person.lastName }),
    displayName: t.string({ nullable: true, select: { person: { select: { displayName: true } } }, resolve: (p) => p.person.displayName }),
    tags: t.exposeStringList("tags"),
    attributes: t.field({ type: "JSONObject", resolve: (p) => (p.attributes ?? {}) as Record<string, unknown> }),
    customFields: t.field({
      type: [CustomFieldValueRef],
      description: "Every non-archived field of the program, with a null value when unset.",
      resolve: (p, _args, ctx) => customFieldValues(p, ctx),
    }),
    customField: t.field({
      type: CustomFieldValueRef,
      nullable: true,
      args: { key: t.arg.string({ required: true }) },
      resolve: async (p, { key }, ctx) => (await customFieldValues(p, ctx)).find((v) => v.definition.key === key) ?? null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    version: t.exposeInt("version"),
  }),
});

builder.asEntity(ParticipantRef, {
  key: builder.selection<{ id: string }>("id"),
  // Loaded with what the gateway selected on Participant, so custom fields and the person come in
  // the same statement for every representation.
  resolveReference: (ref, ctx, info) =>
    ctx.loaders.participantByIdWith(queryFromInfo({ context: ctx, info, typeName: "Participant" })).load(ref.id),
});

export const ParticipantConnection = connectionOf("Participant", ParticipantRef);

const ParticipantOrderFieldEnum = builder.enumType("ParticipantOrderField", {
  values: ["SERIAL_NUMBER", "CREATED_AT", "UPDATED_AT", "LAST_NAME"] as const,
});

const ParticipantOrder = builder.inputType("ParticipantOrder", {
  fields: (t) => ({
    field: t.field({ type: ParticipantOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirectionEnum, required: true, defaultValue: "ASC" }),
  }),
});

const CustomFieldFilter = builder.inputType("CustomFieldFilter", {
  fields: (t) => ({ key: t.string({ required: true }), equals: t.field({ type: "JSON", required: true }) }),
});

const ParticipantFilter = builder.inputType("ParticipantFilter", {
  fields: (t) => ({
    ...commonFilterFields(t),
    customFields: t.field({ type: [CustomFieldFilter] }),
  }),
});

const PARTICIPANT_SORT: Record<(typeof ParticipantOrderFieldEnum)["$inferType"], Omit<SortSpec, "direction">> = {
  SERIAL_NUMBER: { path: ["serialNumber"], kind: "int", nullable: false },
  CREATED_AT: { path: ["createdAt"], kind: "date", nullable: false },
  UPDATED_AT: { path: ["updatedAt"], kind: "date", nullable: false },
  LAST_NAME: { path: ["person", "lastName"], kind: "string", nullable: true },
};

interface ParticipantListArgs extends PageArgs {
  filter?: Parameters<typeof participantWhere>[0];
  orderBy?: { field: keyof typeof PARTICIPANT_SORT; direction: "ASC" | "DESC" } | null;
}

/** One page of participants matching `where`; shared by the root list, programs and persons. */
function participantPage(
  ctx: Context,
  info: Parameters<typeof nodeQuery>[1],
  args: ParticipantListArgs,
  where: Prisma.ParticipantWhereInput,
) {
  const order = args.orderBy ?? { field: "SERIAL_NUMBER", direction: "ASC" };
  const sort: SortSpec = { ...PARTICIPANT_SORT[order.field], direction: order.direction === "DESC" ? "desc" : "asc" };
  const query = nodeQuery(ctx, info);
  // Sorting by the person's name needs the person on each row to build its cursor.
  const include =
    sort.path[0] === "person" && !("select" in query)
      ? { include: { ...(query as { include?: object }).include, person: true } }
      : query;
  return keysetPage(
    args,
    sort,
    { AND: [where, participantWhere(args.filter)] },
    (q) => ctx.db.participant.findMany({ ...include, ...(q as object) }),
    (q) => ctx.db.participant.count(q as object),
  ) as never;
}

const listArgs = builder.args((t) => ({
  ...pageArgs,
  filter: t.field({ type: ParticipantFilter }),
  orderBy: t.field({ type: ParticipantOrder }),
}));

builder.prismaObjectField(ProgramRef, "participants", (t) =>
  t.field({
    type: ParticipantConnection,
    args: listArgs,
    resolve: (program, args, ctx, info) => participantPage(ctx, info, args, { programId: program.id }),
  }),
);

builder.prismaObjectField(PersonRef, "participants", (t) =>
  t.field({
    type: ParticipantConnection,
    args: pageArgs,
    resolve: (person, args, ctx, info) => {
      const byCreation = { ...args, orderBy: { field: "CREATED_AT", direction: "ASC" } } as const;
      if (args.after) return participantPage(ctx, info, byCreation, { personId: person.id });
      // A first page for many persons at once (a list of people with their participations) is
      // one statement for all of them: a person's participations are few.
      const all = ctx.loaders.participationsOf(nodeQuery(ctx, info)).load(person.id);
      return keysetPage(
        args,
        { ...PARTICIPANT_SORT.CREATED_AT, direction: "asc" },
        {},
        async ({ take }) => (await all).slice(0, take),
        async () => (await all).length,
      ) as never;
    },
  }),
);

builder.queryFields((t) => ({
  participant: t.prismaField({
    type: "Participant",
    nullable: true,
    description: "One participant by `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`.",
    args: { id: t.arg.id(), programKey: t.arg.string(), serialNumber: t.arg.int(), externalId: t.arg.string() },
    resolve: (query, _root, args, ctx) =>
      findParticipant(ctx.db, ctx.programIds, ctx.caller.workspaceId, { ...args, id: args.id == null ? args.id : String(args.id) }, query),
  }),
  participants: t.field({
    type: ParticipantConnection,
    args: { programKey: t.arg.string({ required: true }), ...listArgs },
    resolve: async (_root, { programKey, ...args }, ctx, info) => {
      // Resolve the key to an id first: filtering through the relation defeats the index.
      const programId = await ctx.programIds.get(ctx.db, ctx.caller.workspaceId, programKey);
      if (!programId) return emptyPage();
      return participantPage(ctx, info, args, { programId });
    },
  }),
}));

function emptyPage() {
  return {
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    totalCount: async () => 0,
  } as never;
}

const EnrollParticipantInput = builder.inputType("EnrollParticipantInput", {
  description: "Exactly one of personId / person. A person whose externalId matches an existing person enrols that person.",
  fields: (t) => ({
    programKey: t.string({ required: true }),
    personId: t.id(),
    person: t.field({ type: CreatePersonInput }),
    externalId: t.string(),
    tags: t.stringList(),
    attributes: t.field({ type: "JSONObject" }),
    customFields: t.field({ type: [CustomFieldValueInput] }),
  }),
});

const UpdateParticipantInput = builder.inputType("UpdateParticipantInput", {
  description: 'Omitted fields stay; "" clears a profile field; attributes merge; tags replace; custom values upsert by key.',
  fields: (t) => ({
    externalId: t.string(),
    email: t.string(),
    phone: t.string(),
    firstName: t.string(),
    lastName: t.string(),
    displayName: t.string(),
    attributes: t.field({ type: "JSONObject" }),
    tags: t.stringList(),
    customFields: t.field({ type: [CustomFieldValueInput] }),
  }),
});

builder.mutationFields((t) => ({
  enrollParticipant: t.field({
    type: ParticipantRef,
    args: { input: t.arg({ type: EnrollParticipantInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      enrollParticipant(ctx.db, ctx.caller, { ...input, personId: input.personId == null ? input.personId : String(input.personId) }),
  }),
  updateParticipant: t.field({
    type: ParticipantRef,
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateParticipantInput, required: true }),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, { id, input, expectedVersion }, ctx) => updateParticipant(ctx.db, ctx.caller, String(id), input, expectedVersion),
  }),
  setParticipantStatus: t.field({
    type: ParticipantRef,
    args: { id: t.arg.id({ required: true }), status: t.arg({ type: StatusEnum, required: true }), reason: t.arg.string() },
    resolve: (_root, { id, status, reason }, ctx) => setParticipantStatus(ctx.db, String(id), status, reason),
  }),
  deleteParticipant: t.field({
    type: DeletePayload,
    description: "Deletes the participant with its custom values, attributes and ledger.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ deletedId: await deleteParticipant(ctx.db, String(id)) }),
  }),
}));

