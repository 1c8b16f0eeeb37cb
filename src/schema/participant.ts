import type { FieldNode, GraphQLResolveInfo } from "graphql";
import type { ParticipantRow, ReadPlan } from "../stores/participant-store.js";
import { PARTICIPANT_SORTS } from "../stores/sorts.js";
import { builder } from "./builder.js";
import { DeletePayload, lookup, orderInput, participantLookupArgs, NodeInterface, pageArgs, StatusEnum } from "./common.js";
import { connectionOf, selectedFields } from "./connection.js";
import { CustomFieldValueInput, CustomFieldValueRef, type CustomFieldValueShape } from "./custom-field.js";
import { referenceKey } from "./entity-reference.js";
import { commonFilterFields, CustomFieldFilter } from "./filter.js";
import { CreatePersonInput, PersonRef, UpdatePersonInput } from "./person.js";
import { ProgramRef } from "./program.js";

/**
 * Every non-archived field of the participant's program with its value. The store reads both,
 * in the same order, whenever the client selects custom fields: no statement and no promise.
 */
function customFieldValues(p: ParticipantRow): CustomFieldValueShape[] {
  const values = p.customValues ?? [];
  const definitions = p.definitions ?? [];
  const fields: CustomFieldValueShape[] = [];
  for (let i = 0; i < definitions.length; i++) {
    if (!definitions[i]!.archived) fields.push({ definition: definitions[i]!, stored: values[i] ?? undefined });
  }
  return fields;
}

/** Participant fields that read through to the person, by the person's field they read. */
export const READ_THROUGH = ["email", "phone", "firstName", "lastName", "displayName"] as const;

// The store joins the person's selected fields into every participant it reads.
const personField =
  <K extends (typeof READ_THROUGH)[number]>(key: K) =>
  (p: ParticipantRow): string | null =>
    p.person[key];

export const ParticipantRef = builder.objectRef<ParticipantRow>("Participant").implement({
  interfaces: [NodeInterface],
  description: "A person's enrolment in a program.",
  fields: (t) => ({
    id: t.exposeID("id"),
    program: t.field({ type: ProgramRef, resolve: async (p, _args, ctx) => (await ctx.loaders.programById.load(p.programId))! }),
    person: t.field({ type: PersonRef, resolve: (p) => p.person }),
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
      resolve: (p) => customFieldValues(p),
    }),
    customField: t.field({
      type: CustomFieldValueRef,
      nullable: true,
      args: { key: t.arg.string({ required: true }) },
      resolve: (p, { key }) => customFieldValues(p).find((v) => v.definition.key === key) ?? null,
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

const ParticipantOrder = orderInput("Participant", PARTICIPANT_SORTS);



const ParticipantFilter = builder.inputType("ParticipantFilter", {
  fields: (t) => ({
    ...commonFilterFields(t),
    customFields: t.field({ type: [CustomFieldFilter] }),
  }),
});

// A parsed document is kept and reused for every request that sends it, so a plan depends only on
// its field's node: computed once per node, not on every request.
const plans = new WeakMap<FieldNode, Map<string, ReadPlan>>();

/**
 * What to read for the participants selected at `path`: custom values (and their times) only when
 * asked for, and only the person's fields that are shown.
 */
export function readPlan(info: GraphQLResolveInfo, path: string[]): ReadPlan {
  const field = info.fieldNodes.length === 1 ? info.fieldNodes[0]! : undefined;
  const key = path.join(".");
  const known = field && plans.get(field)?.get(key);
  if (known) return known;
  const node = selectedFields(info, path);
  const plan: ReadPlan = {
    customFields: node.has("customFields") || node.has("customField"),
    valueTimes: ["customFields", "customField"].some((f) => selectedFields(info, [...path, f]).has("updatedAt")),
    personFields: [...selectedFields(info, [...path, "person"]), ...READ_THROUGH.filter((f) => node.has(f))],
  };
  if (field) {
    const byPath = plans.get(field) ?? new Map<string, ReadPlan>();
    plans.set(field, byPath.set(key, plan));
  }
  return plan;
}

const nodes = (info: GraphQLResolveInfo) => readPlan(info, ["edges", "node"]);

const listArgs = builder.args((t) => ({
  ...pageArgs,
  filter: t.field({ type: ParticipantFilter }),
  orderBy: t.field({ type: ParticipantOrder }),
}));

builder.objectField(ProgramRef, "participants", (t) =>
  t.field({
    type: ParticipantConnection,
    args: listArgs,
    resolve: (program, args, ctx, info) => ctx.services.participants.ofProgram(program.id, args, nodes(info)) as never,
  }),
);

builder.objectField(PersonRef, "participants", (t) =>
  t.field({
    type: ParticipantConnection,
    args: pageArgs,
    resolve: (person, args, ctx, info) => ctx.services.participants.ofPerson(person.id, args, nodes(info)) as never,
  }),
);

builder.queryFields((t) => ({
  participant: t.field({
    type: ParticipantRef,
    nullable: true,
    description: "One participant by `id`, or `programKey` with `serialNumber`, or `programKey` with `externalId`.",
    args: { id: t.arg.id(), programKey: t.arg.string(), serialNumber: t.arg.int(), externalId: t.arg.string() },
    resolve: (_root, args, ctx, info) =>
      ctx.services.participants.find({ ...args, id: args.id == null ? args.id : String(args.id) }, readPlan(info, [])),
  }),
  participants: t.field({
    type: ParticipantConnection,
    args: { programKey: t.arg.string({ required: true }), ...listArgs },
    resolve: (_root, { programKey, ...args }, ctx, info) => ctx.services.participants.ofProgramKey(programKey, args, nodes(info)) as never,
  }),
}));

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

export type EnrollParticipantFields = typeof EnrollParticipantInput.$inferInput;

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
    person: t.field({ type: UpdatePersonInput, description: "The person's profile, written in the same transaction." }),
    addTags: t.stringList({ description: "Added to the set (not with `tags`)." }),
    removeTags: t.stringList({ description: "Removed from the set (not with `tags`)." }),
  }),
});

export type UpdateParticipantFields = typeof UpdateParticipantInput.$inferInput;

builder.mutationFields((t) => ({
  enrollParticipant: t.field({
    type: ParticipantRef,
    args: { input: t.arg({ type: EnrollParticipantInput, required: true }) },
    resolve: (_root, { input }, ctx, info) =>
      ctx.services.participants.enroll({ ...input, personId: input.personId == null ? input.personId : String(input.personId) }, readPlan(info, [])),
  }),
  updateParticipant: t.field({
    type: ParticipantRef,
    args: {
      ...participantLookupArgs,
      input: t.arg({ type: UpdateParticipantInput, required: true }),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, { input, expectedVersion, ...which }, ctx, info) =>
      ctx.services.participants.update(lookup(which), input, expectedVersion, readPlan(info, [])),
  }),
  setParticipantStatus: t.field({
    type: ParticipantRef,
    args: { ...participantLookupArgs, status: t.arg({ type: StatusEnum, required: true }), reason: t.arg.string() },
    resolve: (_root, { status, reason, ...which }, ctx, info) => ctx.services.participants.setStatus(lookup(which), status, reason, readPlan(info, [])),
  }),
  deleteParticipant: t.field({
    type: DeletePayload,
    description: "Deletes the participant with its custom values, attributes and ledger.",
    args: participantLookupArgs,
    resolve: async (_root, which, ctx) => ({ deletedId: await ctx.services.participants.delete(lookup(which)) }),
  }),
}));

