import { assertBucketAccess, mayUseBucket } from "../auth/api-key.js";
import { Conflict, InvalidInput } from "../errors.js";
import { setAttributes } from "../services/person.js";
import { builder } from "./builder.js";
import { PersonRef } from "./person.js";

const BUCKET_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

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
    resolve: async (person, { bucket }, ctx) => {
      const name = bucket ?? "default";
      assertBucketAccess(ctx.caller, name);
      const rows = await ctx.loaders.attributesByPersonId.load(person.id);
      return Object.fromEntries(rows.filter((r) => r.bucket.name === name).map((r) => [r.key, r.value]));
    },
  }),
);

builder.queryField("attributeBuckets", (t) =>
  t.prismaField({
    type: ["AttributeBucket"],
    description: "The buckets the caller's API key may read.",
    resolve: async (query, _root, _args, ctx) => {
      const buckets = await ctx.db.attributeBucket.findMany({ ...query, orderBy: { name: "asc" } });
      return buckets.filter((b) => mayUseBucket(ctx.caller, b.name));
    },
  }),
);

builder.mutationFields((t) => ({
  setAttributes: t.field({
    type: PersonRef,
    description: "Merges into one bucket of a person's attributes: keys not named stay, a key set to null is removed.",
    args: {
      personId: t.arg.id({ required: true }),
      bucket: t.arg.string({ required: true, defaultValue: "default" }),
      attributes: t.arg({ type: "JSONObject", required: true }),
    },
    resolve: (_root, args, ctx) => setAttributes(ctx.db, ctx.caller, String(args.personId), args.bucket, args.attributes),
  }),
  createAttributeBucket: t.prismaField({
    type: "AttributeBucket",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }), description: t.arg.string() },
    resolve: async (query, _root, { name, description }, ctx) => {
      if (!BUCKET_NAME.test(name)) {
        throw InvalidInput.field(["name"], "A bucket name starts with a letter and has up to 64 lower-case letters, digits, - or _.");
      }
      if (await ctx.db.attributeBucket.findFirst({ where: { name } })) {
        throw new Conflict(`The attribute bucket "${name}" already exists.`);
      }
      return ctx.db.attributeBucket.create({
        ...query,
        data: { workspaceId: ctx.caller.workspaceId, name, description: description?.trim() || null },
      });
    },
  }),
}));

