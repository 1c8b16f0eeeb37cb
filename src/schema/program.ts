import { Conflict, InvalidInput, NotFound } from "../errors.js";
import { keysetPage } from "../services/pagination.js";
import { isUuid } from "../services/validate.js";
import { builder } from "./builder.js";
import { referenceKey } from "./entity-reference.js";
import { NodeInterface, pageArgs } from "./common.js";
import { connectionOf, nodeQuery } from "./connection.js";

const PROGRAM_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const ProgramRef = builder.prismaObject("Program", {
  interfaces: [NodeInterface],
  description: "Something persons take part in: an event, a loyalty scheme, a course.",
  fields: (t) => ({
    id: t.exposeID("id"),
    key: t.exposeString("key"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.asEntity(ProgramRef, {
  key: builder.selection<{ id: string }>("id"),
  resolveReference: (ref, ctx) => ctx.loaders.programById.load(referenceKey(ref, "id")),
});

const ProgramConnection = connectionOf("Program", ProgramRef);

function checkName(name: string, path: string[]): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 255) throw InvalidInput.field(path, "A name has 1 to 255 characters.");
  return trimmed;
}

builder.queryFields((t) => ({
  program: t.prismaField({
    type: "Program",
    nullable: true,
    description: "One program by `id` or by `key`.",
    args: { id: t.arg.id(), key: t.arg.string() },
    resolve: async (query, _root, { id, key }, ctx) => {
      if ((id == null) === (key == null)) throw InvalidInput.field([], "Give exactly one of `id` and `key`.");
      if (id != null) return isUuid(id) ? ctx.db.program.findUnique({ ...query, where: { id: String(id) } }) : null;
      return ctx.db.program.findFirst({ ...query, where: { key: key! } });
    },
  }),
  programs: t.field({
    type: ProgramConnection,
    args: pageArgs,
    resolve: (_root, args, ctx, info) => {
      const query = nodeQuery(ctx, info);
      return keysetPage(
        args,
        { list: "programs", path: ["createdAt"], direction: "asc", kind: "date", nullable: false },
        {},
        (q) => ctx.db.program.findMany({ ...query, ...(q as object) }),
        (q) => ctx.db.program.count(q as object),
      ) as never;
    },
  }),
}));

const CreateProgramInput = builder.inputType("CreateProgramInput", {
  fields: (t) => ({ key: t.string({ required: true }), name: t.string({ required: true }) }),
});
const UpdateProgramInput = builder.inputType("UpdateProgramInput", {
  fields: (t) => ({ name: t.string() }),
});

builder.mutationFields((t) => ({
  createProgram: t.prismaField({
    type: "Program",
    args: { input: t.arg({ type: CreateProgramInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      if (!PROGRAM_KEY.test(input.key)) {
        throw InvalidInput.field(["input", "key"], "A key is a slug: up to 64 lower-case letters, digits and dashes.");
      }
      const name = checkName(input.name, ["input", "name"]);
      if (await ctx.db.program.findFirst({ where: { key: input.key } })) {
        throw new Conflict(`A program with key "${input.key}" already exists.`);
      }
      return ctx.db.program.create({ ...query, data: { workspaceId: ctx.caller.workspaceId, key: input.key, name } });
    },
  }),
  updateProgram: t.prismaField({
    type: "Program",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateProgramInput, required: true }) },
    resolve: async (query, _root, { id, input }, ctx) => {
      if (input.name === null) throw InvalidInput.field(["input", "name"], "Cannot be null.");
      const name = input.name === undefined ? undefined : checkName(input.name, ["input", "name"]);
      const { count } = isUuid(id)
        ? await ctx.db.program.updateMany({ where: { id: String(id) }, data: { name, updatedAt: new Date() } })
        : { count: 0 };
      if (count === 0) throw new NotFound("Program");
      return ctx.db.program.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
}));
