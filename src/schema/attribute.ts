import { DEFAULT_BUCKET } from "../services/attributes.js";
import { builder } from "./builder.js";
import { lookup } from "./common.js";
import { PersonRef } from "./person.js";

export const AttributeBucketRef = builder.prismaObject("AttributeBucket", {
  description: "A named map of JSON attributes per person, with its own access rules.",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
  }),
});

builder.prismaObjectField(PersonRef, "attributes", (t) =>
  t.field({
    type: "JSONObject",
    args: { bucket: t.arg.string({ defaultValue: "default" }) },
    resolve: (person, { bucket }, ctx) => ctx.services.buckets.read(person.id, bucket ?? DEFAULT_BUCKET),
  }),
);

builder.queryField("attributeBuckets", (t) =>
  t.field({
    type: [AttributeBucketRef],
    description: "The buckets the caller's API key may read.",
    resolve: (_root, _args, ctx) => ctx.services.buckets.list(),
  }),
);

builder.mutationFields((t) => ({
  setAttributes: t.field({
    type: PersonRef,
    description: "Merges into one bucket of a person's attributes: keys not named stay, a key set to null is removed.",
    args: {
      personId: t.arg.id({ description: "The person's id; or give `externalId`." }),
      externalId: t.arg.string({ description: "The caller's id for the person; or give `personId`." }),
      bucket: t.arg.string({ required: true, defaultValue: "default" }),
      attributes: t.arg({ type: "JSONObject", required: true }),
    },
    resolve: (_root, { personId, externalId, bucket, attributes }, ctx) =>
      ctx.services.persons.setAttributes(lookup({ id: personId, externalId }), bucket, attributes),
  }),
  createAttributeBucket: t.field({
    type: AttributeBucketRef,
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }), description: t.arg.string() },
    resolve: (_root, { name, description }, ctx) => ctx.services.buckets.create(name, description),
  }),
}));
