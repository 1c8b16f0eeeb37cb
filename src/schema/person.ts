import { PERSON_SORTS } from "../stores/sorts.js";
import { builder, type InputFields } from "./builder.js";
import { DeletePayload, lookup, orderInput, personLookupArgs, NODE_TYPE, NodeInterface, pageArgs, PersonTypeEnum, StatusEnum } from "./common.js";
import { connectionOf } from "./connection.js";
import { referenceKey } from "./entity-reference.js";
import { commonFilterFields } from "./filter.js";

interface LocationShape {
  countryCode?: string;
  countryName?: string;
  stateCode?: string;
  stateName?: string;
  city?: string;
  street?: string;
  postalCode?: string;
  timeZone?: string;
  latitude?: number;
  longitude?: number;
}

const LOCATION_STRINGS = ["countryCode", "countryName", "stateCode", "stateName", "city", "street", "postalCode", "timeZone"] as const;

export const LocationRef = builder.objectRef<LocationShape>("Location").implement({
  fields: (t) => ({
    ...Object.fromEntries(LOCATION_STRINGS.map((key) => [key, t.exposeString(key, { nullable: true })])),
    latitude: t.exposeFloat("latitude", { nullable: true }),
    longitude: t.exposeFloat("longitude", { nullable: true }),
  }),
});

export const PersonRef = builder.prismaObject("Person", {
  interfaces: [NodeInterface],
  description: "One human in a workspace, with one profile however many programs they take part in.",
  fields: (t) => ({
    id: t.exposeID("id"),
    externalId: t.exposeString("externalId", { nullable: true }),
    email: t.exposeString("email", { nullable: true }),
    phone: t.exposeString("phone", { nullable: true }),
    firstName: t.exposeString("firstName", { nullable: true }),
    lastName: t.exposeString("lastName", { nullable: true }),
    displayName: t.exposeString("displayName", { nullable: true }),
    avatarUrl: t.exposeString("avatarUrl", { nullable: true }),
    timezone: t.exposeString("timezone", { nullable: true }),
    locale: t.exposeString("locale", { nullable: true }),
    type: t.expose("type", { type: PersonTypeEnum, nullable: true }),
    title: t.exposeString("title", { nullable: true }),
    company: t.exposeString("company", { nullable: true }),
    location: t.field({
      type: LocationRef,
      nullable: true,
      resolve: (person) => (person.location as LocationShape | null) ?? null,
    }),
    status: t.expose("status", { type: StatusEnum }),
    statusReason: t.exposeString("statusReason", { nullable: true }),
    tags: t.exposeStringList("tags"),
    firstSeenAt: t.expose("firstSeenAt", { type: "DateTime", nullable: true }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    version: t.exposeInt("version"),
  }),
});

builder.asEntity(PersonRef, {
  key: [builder.selection<{ id: string }>("id"), builder.selection<{ externalId: string }>("externalId")],
  resolveReference: (ref, ctx) =>
    "id" in ref && ref.id !== undefined
      ? ctx.loaders.personById.load(referenceKey(ref, "id"))
      : ctx.loaders.personByExternalId.load(referenceKey(ref, "externalId")),
});

export const PersonConnection = connectionOf("Person", PersonRef);

const PersonOrder = orderInput("Person", PERSON_SORTS);

const PersonFilter = builder.inputType("PersonFilter", { fields: (t) => commonFilterFields(t) });

builder.queryFields((t) => ({
  person: t.field({
    type: PersonRef,
    nullable: true,
    description: "One person by exactly one of `id`, `externalId` or `email` (case-insensitive).",
    args: { id: t.arg.id(), externalId: t.arg.string(), email: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.persons.find({ ...args, id: args.id == null ? args.id : String(args.id) }),
  }),
  people: t.field({
    type: PersonConnection,
    args: {
      ...pageArgs,
      filter: t.arg({ type: PersonFilter }),
      orderBy: t.arg({ type: PersonOrder }),
    },
    resolve: (_root, args, ctx) => ctx.services.persons.page(args) as never,
  }),
}));

const LocationInput = builder.inputType("LocationInput", {
  fields: (t) => ({
    ...Object.fromEntries(LOCATION_STRINGS.map((key) => [key, t.string()])),
    latitude: t.float(),
    longitude: t.float(),
  }),
});

const profileInputFields = (t: InputFields) => ({
  externalId: t.string(),
  email: t.string(),
  phone: t.string(),
  firstName: t.string(),
  lastName: t.string(),
  displayName: t.string(),
  avatarUrl: t.string(),
  timezone: t.string(),
  locale: t.string(),
  type: t.field({ type: PersonTypeEnum }),
  title: t.string(),
  company: t.string(),
  location: t.field({ type: LocationInput }),
  tags: t.stringList(),
});

const seenFields = (t: InputFields) => ({
  firstSeenAt: t.field({ type: "DateTime", description: "Only ever moves earlier; a later value is ignored." }),
  lastSeenAt: t.field({ type: "DateTime", description: "Only ever moves later; the first one also sets firstSeenAt when it is unset." }),
});

export const CreatePersonInput = builder.inputType("CreatePersonInput", {
  description: '"" on a String field clears it; an omitted field is left as it is.',
  fields: (t) => ({
    ...profileInputFields(t),
    attributes: t.field({ type: "JSONObject", description: 'Into the bucket "default".' }),
    ...seenFields(t),
  }),
});


export const UpdatePersonInput = builder.inputType("UpdatePersonInput", {
  fields: (t) => ({
    ...profileInputFields(t),
    attributes: t.field({ type: "JSONObject", description: 'Merged into the bucket "default".' }),
    ...seenFields(t),
    addTags: t.stringList({ description: "Added to the set (not with `tags`)." }),
    removeTags: t.stringList({ description: "Removed from the set (not with `tags`)." }),
  }),
});

builder.mutationFields((t) => ({
  createPerson: t.field({
    type: PersonRef,
    args: { input: t.arg({ type: CreatePersonInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.persons.create(input),
  }),
  upsertPerson: t.field({
    type: PersonRef,
    description: "Creates the person with this external id, or updates the one that has it.",
    args: { externalId: t.arg.string({ required: true }), input: t.arg({ type: UpdatePersonInput, required: true }) },
    resolve: (_root, { externalId, input }, ctx) => ctx.services.persons.upsert(externalId, input),
  }),
  updatePerson: t.field({
    type: PersonRef,
    description: "Updates the person named by `id` or `externalId`; never creates one (see upsertPerson).",
    args: {
      ...personLookupArgs,
      input: t.arg({ type: UpdatePersonInput, required: true }),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, { input, expectedVersion, ...which }, ctx) => ctx.services.persons.update(lookup(which), input, expectedVersion),
  }),
  setPersonStatus: t.field({
    type: PersonRef,
    args: { ...personLookupArgs, status: t.arg({ type: StatusEnum, required: true }), reason: t.arg.string() },
    resolve: (_root, { status, reason, ...which }, ctx) => ctx.services.persons.setStatus(lookup(which), status, reason),
  }),
  deletePerson: t.field({
    type: DeletePayload,
    description: "Deletes the person with its attributes, participations, custom values and ledger.",
    args: personLookupArgs,
    resolve: async (_root, which, ctx) => ({ deletedId: await ctx.services.persons.delete(lookup(which)) }),
  }),
}));

