import type { GraphQLResolveInfo } from "graphql";
import type { Participant, Person } from "../generated/prisma/client.js";
import type { ParticipantRow } from "../loaders/participant-reader.js";
import type { ParticipantFilterInput } from "../services/filters.js";
import { keysetPageBy, type Page, type PageArgs } from "../services/pagination.js";
import { afterSql, orderSql, participantFilterSql, type SqlSort } from "../services/participant-sql.js";
import {
  deleteParticipant,
  enrollParticipant,
  findParticipant,
  setParticipantStatus,
  updateParticipant,
} from "../services/participant.js";
import { builder, type Context } from "./builder.js";
import { DeletePayload, NodeInterface, OrderDirectionEnum, pageArgs, StatusEnum } from "./common.js";
import { connectionOf, selectedFields } from "./connection.js";
import { CustomFieldValueInput, CustomFieldValueRef, type CustomFieldValueShape } from "./custom-field.js";
import { referenceKey } from "./entity-reference.js";
import { commonFilterFields } from "./filter.js";
import { CreatePersonInput, PersonRef } from "./person.js";
import { ProgramRef } from "./program.js";

/** A participant from the reader (person and values joined in) or from Prisma (after a write). */
type ParticipantShape = Participant & Partial<Pick<ParticipantRow, "person" | "definitions" | "customValues">>;

/** The participant's person: joined in when the participant came from the reader, else loaded. */
function personOf(p: ParticipantShape, ctx: Context): Person | Promise<Person> {
  return p.person ?? ctx.loaders.personById.load(p.personId).then((person) => person!);
}

/**
 * Every non-archived field of the participant's program with its value. A participant from the
 * reader carries both, in the same order: no statement and no promise. Otherwise definitions once
 * per program and values once per page.
 */
function customFieldValues(p: ParticipantShape, ctx: Context): CustomFieldValueShape[] | Promise<CustomFieldValueShape[]> {
  if (p.definitions && p.customValues !== undefined) {
    const values = p.customValues ?? [];
    const fields: CustomFieldValueShape[] = [];
    for (let i = 0; i < p.definitions.length; i++) {
      if (!p.definitions[i]!.archived) fields.push({ definition: p.definitions[i]!, stored: values[i] ?? undefined });
    }
    return fields;
  }
  return Promise.all([ctx.loaders.customFieldsByProgramId.load(p.programId), ctx.loaders.customValuesByParticipantId.load(p.id)]).then(
    ([definitions, values]) => definitions.filter((d) => !d.archived).map((definition) => ({ definition, stored: values[definition.id] })),
  );
}

/** Participant fields that read through to the person, by the person's field they read. */
const READ_THROUGH = ["email", "phone", "firstName", "lastName", "displayName"] as const;

const personField =
  <K extends (typeof READ_THROUGH)[number]>(key: K) =>
  (p: ParticipantShape, _args: unknown, ctx: Context): string | null | Promise<string | null> => {
    const person = personOf(p, ctx);
    return person instanceof Promise ? person.then((loaded) => loaded[key]) : person[key];
  };

export const ParticipantRef = builder.prismaObject("Participant", {
  interfaces: [NodeInterface],
  description: "A person's enrolment in a program.",
  fields: (t) => ({
    id: t.exposeID("id"),
    program: t.field({ type: ProgramRef, resolve: async (p, _args, ctx) => (await ctx.loaders.programById.load(p.programId))! }),
    person: t.field({ type: PersonRef, resolve: (p, _args, ctx) => personOf(p, ctx) }),
    serialNumber: t.exposeInt("serialNumber"),
    externalId: t.exposeString("externalId", { nullable: true }),
    status: t.expose("status", { type: StatusEnum }),
    statusReason: t.exposeString("statusReason", { nullable: true }),
    statusChangedAt: t.expose("statusChangedAt", { type: "DateTime", nullable: true }),
    // The profile is the person's: these read through to it.
    ...Object.fromEntries(READ_THROUGH.map((key) => [key, t.string({ nullable: true, resolve: personField(key) })])),
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
  // One statement for every representation, with persons and custom values.
  resolveReference: (ref, ctx) => ctx.loaders.participantById.load(referenceKey(ref, "id")),
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

const PARTICIPANT_SORT: Record<(typeof ParticipantOrderFieldEnum)["$inferType"], Omit<SqlSort, "direction">> = {
  SERIAL_NUMBER: { list: "participants", path: ["serialNumber"], column: "p.serial_number", kind: "int", nullable: false },
  CREATED_AT: { list: "participants", path: ["createdAt"], column: "p.created_at", kind: "date", nullable: false },
  UPDATED_AT: { list: "participants", path: ["updatedAt"], column: "p.updated_at", kind: "date", nullable: false },
  LAST_NAME: { list: "participants", path: ["person", "lastName"], column: "pe.last_name", kind: "string", nullable: true },
};

interface ParticipantListArgs extends PageArgs {
  filter?: ParticipantFilterInput | null;
  orderBy?: { field: keyof typeof PARTICIPANT_SORT; direction: "ASC" | "DESC" } | null;
}

/**
 * What to read for the participants selected at `path`: custom values (and their times) only when
 * asked for, and only the person's fields that are shown (or sorted by, `sortedBy`).
 */
function readPlan(info: GraphQLResolveInfo, path: string[], sortedBy: string[] = []) {
  const node = selectedFields(info, path);
  return {
    customFields: node.has("customFields") || node.has("customField"),
    valueTimes: ["customFields", "customField"].some((f) => selectedFields(info, [...path, f]).has("updatedAt")),
    personFields: [...selectedFields(info, [...path, "person"]), ...READ_THROUGH.filter((f) => node.has(f)), ...sortedBy],
  };
}

/**
 * One page of the participants whose `column` (program or person) is `value`; shared by the root
 * list, programs and persons. Custom values are read only when the client selected them.
 */
function participantPage(
  ctx: Context,
  info: GraphQLResolveInfo,
  args: ParticipantListArgs,
  [column, value]: ["p.program_id" | "p.person_id", string],
): Promise<Page<ParticipantRow>> {
  const order = args.orderBy ?? { field: "SERIAL_NUMBER", direction: "ASC" };
  const sort: SqlSort = { ...PARTICIPANT_SORT[order.field], direction: order.direction === "DESC" ? "desc" : "asc" };
  const reader = ctx.loaders.participants;
  // Built (and a bad filter refused) once, even when no row is asked for; the page and the count
  // each bind their own copy of the parameters.
  const params = reader.params();
  const where = [`${column} = ${params.add(value)}`, ...participantFilterSql(args.filter, params)];
  const plan = readPlan(info, ["edges", "node"], sort.path[0] === "person" ? sort.path.slice(1) : []);
  return keysetPageBy(
    args,
    sort,
    (take, after, order) => {
      const page = { where: [...where], params: params.copy() };
      if (after) page.where.push(afterSql({ ...order, column: sort.column }, after, page.params));
      return reader.read({ ...page, ...plan, orderBy: orderSql({ ...order, column: sort.column }), limit: take });
    },
    () => reader.count({ where, params }),
  );
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
    resolve: (program, args, ctx, info) => participantPage(ctx, info, args, ["p.program_id", program.id]) as never,
  }),
);

builder.prismaObjectField(PersonRef, "participants", (t) =>
  t.field({
    type: ParticipantConnection,
    args: pageArgs,
    resolve: (person, args, ctx, info) => {
      const byCreation = { ...args, orderBy: { field: "CREATED_AT", direction: "ASC" } } as const;
      if (args.after || args.last != null || args.before) return participantPage(ctx, info, byCreation, ["p.person_id", person.id]) as never;
      // A first page for many persons at once (a list of people with their participations) is
      // one statement for all of them: a person's participations are few.
      const all = ctx.loaders.participationsOf.load(person.id);
      return keysetPageBy(
        args,
        { ...PARTICIPANT_SORT.CREATED_AT, direction: "asc" },
        async (take) => (await all).slice(0, take),
        async () => (await all).length,
      ) as never;
    },
  }),
);

builder.queryFields((t) => ({
  participant: t.field({
    type: ParticipantRef,
    nullable: true,
    description: "One participant by `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`.",
    args: { id: t.arg.id(), programKey: t.arg.string(), serialNumber: t.arg.int(), externalId: t.arg.string() },
    resolve: (_root, args, ctx, info) =>
      findParticipant(
        ctx.loaders,
        ctx.programIds,
        ctx.db,
        ctx.caller.workspaceId,
        { ...args, id: args.id == null ? args.id : String(args.id) },
        readPlan(info, []),
      ),
  }),
  participants: t.field({
    type: ParticipantConnection,
    args: { programKey: t.arg.string({ required: true }), ...listArgs },
    resolve: async (_root, { programKey, ...args }, ctx, info) => {
      // Resolve the key to an id first: filtering through the relation defeats the index.
      const programId = await ctx.programIds.get(ctx.db, ctx.caller.workspaceId, programKey);
      if (!programId) return emptyPage();
      return participantPage(ctx, info, args, ["p.program_id", programId]) as never;
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

