import { PERSON_SORTS } from "../stores/sorts.js";
import { builder, type InputFields } from "./builder.js";
import { DeletePayload, GenderEnum, lookup, orderInput, personLookupArgs, NodeInterface, pageArgs, PersonTypeEnum, StatusEnum } from "./common.js";
import { connectionOf } from "./connection.js";
import { referenceKey } from "./entity-reference.js";
import { CustomFieldValueInput } from "./custom-field.js";
import { commonFilterFields, CustomFieldFilter } from "./filter.js";

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
  continent?: string;
  regionName?: string;
}

interface ConsentShape {
  globalUnsubscribe?: boolean;
  emailOptIn?: boolean | null;
  smsOptIn?: boolean | null;
  updatedAt?: string | null;
}

const LOCATION_STRINGS = ["countryCode", "countryName", "stateCode", "stateName", "city", "street", "postalCode", "timeZone", "continent", "regionName"] as const;

export const LocationRef = builder.objectRef<LocationShape>("Location").implement({
  fields: (t) => ({
    ...Object.fromEntries(LOCATION_STRINGS.map((key) => [key, t.exposeString(key, { nullable: true })])),
    latitude: t.exposeFloat("latitude", { nullable: true }),
    longitude: t.exposeFloat("longitude", { nullable: true }),
  }),
});

const ExternalIdentityRef = builder.objectRef<{ system: string; externalId: string }>("ExternalIdentity").implement({
  description: "The person's id in another system: one per system, unique in the workspace.",
  fields: (t) => ({ system: t.exposeString("system"), id: t.exposeString("externalId") }),
});

const ConsentRef = builder.objectRef<ConsentShape>("Consent").implement({
  fields: (t) => ({
    globalUnsubscribe: t.boolean({ resolve: (c) => c.globalUnsubscribe ?? false }),
    emailOptIn: t.exposeBoolean("emailOptIn", { nullable: true }),
    smsOptIn: t.exposeBoolean("smsOptIn", { nullable: true }),
    updatedAt: t.field({ type: "DateTime", nullable: true, description: "When a choice last changed.", resolve: (c) => c.updatedAt ?? null }),
  }),
});

export const ExternalIdentityInput = builder.inputType("ExternalIdentityInput", {
  fields: (t) => ({
    system: t.string({ required: true, description: 'The other system, e.g. "salesforce".' }),
    id: t.string({ description: 'The person\'s id there; null or "" removes it.' }),
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
    gender: t.expose("gender", { type: GenderEnum, nullable: true }),
    score: t.exposeInt("score", { nullable: true }),
    role: t.exposeString("role", { nullable: true }),
    accountId: t.exposeString("accountId", { nullable: true }),
    signedUpAt: t.expose("signedUpAt", { type: "DateTime", nullable: true }),
    identities: t.field({ type: [ExternalIdentityRef], resolve: (person, _args, ctx) => ctx.loaders.identitiesByPersonId.load(person.id) }),
    consent: t.field({ type: ConsentRef, resolve: (person) => (person.consent as ConsentShape | null) ?? {} }),
    inferredLocation: t.field({
      type: LocationRef,
      nullable: true,
      description: "Where the person seems to be, as another system inferred it (e.g. from an IP address).",
      resolve: (person) => (person.inferredLocation as LocationShape | null) ?? null,
    }),
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

const PersonFilter = builder.inputType("PersonFilter", {
  fields: (t) => ({
    ...commonFilterFields(t),
    identity: t.field({ type: ExternalIdentityInput, description: "The person with this id in that system." }),
    customFields: t.field({ type: [CustomFieldFilter], description: "Person field equality." }),
  }),
});

builder.queryFields((t) => ({
  person: t.field({
    type: PersonRef,
    nullable: true,
    description: "One person by exactly one of `id`, `externalId`, `email` (case-insensitive) or `identity` (an id in another system).",
    args: { id: t.arg.id(), externalId: t.arg.string(), email: t.arg.string(), identity: t.arg({ type: ExternalIdentityInput }) },
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


const ConsentInput = builder.inputType("ConsentInput", {
  description: "Choices given replace those choices; the others stay.",
  fields: (t) => ({ globalUnsubscribe: t.boolean(), emailOptIn: t.boolean(), smsOptIn: t.boolean() }),
});

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
  location: t.field({ type: LocationInput, description: "countryCode: ISO 3166-1, alpha-2, alpha-3 or numeric; stored as alpha-2." }),
  tags: t.stringList(),
  gender: t.field({ type: GenderEnum }),
  score: t.int(),
  role: t.string(),
  accountId: t.string(),
  signedUpAt: t.field({ type: "DateTime" }),
  identities: t.field({ type: [ExternalIdentityInput], description: "One id per system; id null or \"\" removes that system's id." }),
  consent: t.field({ type: ConsentInput }),
  inferredLocation: t.field({ type: LocationInput }),
  customFields: t.field({ type: [CustomFieldValueInput], description: "Person field values by key; null clears one." }),
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
  mergePersons: t.field({
    type: PersonRef,
    description:
      "Merges a duplicate (source) into the person to keep (target): the target keeps its values and takes the source's where it has none; tags unite; participations move; the source is deleted.",
    args: { sourceId: t.arg.id({ required: true }), targetId: t.arg.id({ required: true }) },
    resolve: (_root, { sourceId, targetId }, ctx) => ctx.services.persons.merge(String(sourceId), String(targetId)),
  }),
  deletePerson: t.field({
    type: DeletePayload,
    description: "Deletes the person with its attributes, participations, custom values and ledger.",
    args: personLookupArgs,
    resolve: async (_root, which, ctx) => ({ deletedId: await ctx.services.persons.delete(lookup(which)) }),
  }),
}));

