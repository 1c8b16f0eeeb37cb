import { builder } from "./builder.js";
import { NodeInterface, pageArgs } from "./common.js";
import { connectionOf } from "./connection.js";
import { referenceKey } from "./entity-reference.js";

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

builder.queryFields((t) => ({
  program: t.field({
    type: ProgramRef,
    nullable: true,
    description: "One program by `id` or by `key`.",
    args: { id: t.arg.id(), key: t.arg.string() },
    resolve: (_root, { id, key }, ctx) => ctx.services.programs.find({ id: id == null ? id : String(id), key }),
  }),
  programs: t.field({
    type: ProgramConnection,
    args: pageArgs,
    resolve: (_root, args, ctx) => ctx.services.programs.page(args) as never,
  }),
}));

const CreateProgramInput = builder.inputType("CreateProgramInput", {
  fields: (t) => ({ key: t.string({ required: true }), name: t.string({ required: true }) }),
});
const UpdateProgramInput = builder.inputType("UpdateProgramInput", {
  fields: (t) => ({ name: t.string() }),
});

builder.mutationFields((t) => ({
  createProgram: t.field({
    type: ProgramRef,
    args: { input: t.arg({ type: CreateProgramInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.programs.create(input),
  }),
  updateProgram: t.field({
    type: ProgramRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateProgramInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.programs.update(String(id), input),
  }),
}));
