import { Prisma } from "../generated/prisma/client.js";
import { isUuid } from "../services/validate.js";
import { builder, type Context } from "./builder.js";
import { NODE_TYPE, NodeInterface } from "./common.js";

// Ids are plain UUIDs, as the spec requires, so the type of a node is found by looking it up.
const NODE_TABLES = {
  Person: "person",
  Participant: "participant",
  Program: "program",
  CustomFieldDefinition: "custom_field_definition",
  LedgerEntry: "ledger_entry",
  ApiKey: "api_key",
} as const;

type NodeType = keyof typeof NODE_TABLES | "Workspace";

async function nodeType(ctx: Context, id: string): Promise<NodeType | undefined> {
  const selects = Object.entries(NODE_TABLES).map(
    ([type, table]) => Prisma.sql`SELECT ${type}::text AS type FROM ${Prisma.raw(`"${table}"`)} WHERE id = ${id}::uuid AND workspace_id = ${ctx.caller.workspaceId}::uuid`,
  );
  selects.push(Prisma.sql`SELECT 'Workspace'::text AS type FROM workspace WHERE id = ${id}::uuid AND id = ${ctx.caller.workspaceId}::uuid`);
  const rows = await ctx.db.$queryRaw<{ type: NodeType }[]>`${Prisma.join(selects, " UNION ALL ")} LIMIT 1`;
  return rows[0]?.type;
}

async function loadNode(ctx: Context, type: NodeType, id: string): Promise<object | null> {
  const where = { where: { id } };
  switch (type) {
    case "Person":
      return ctx.loaders.personById.load(id);
    case "Participant":
      return ctx.loaders.participantById.load(id);
    case "Program":
      return ctx.loaders.programById.load(id);
    case "CustomFieldDefinition":
      return ctx.db.customFieldDefinition.findUnique(where);
    case "LedgerEntry":
      return ctx.db.ledgerEntry.findUnique(where);
    case "ApiKey":
      return ctx.db.apiKey.findUnique(where);
    case "Workspace":
      return ctx.db.workspace.findUnique(where);
  }
}

builder.queryField("node", (t) =>
  t.field({
    type: NodeInterface,
    nullable: true,
    // Every Relay-style subgraph has `node`: shareable, so that they compose. A router sends a
    // node query to one subgraph; ids of this subgraph's types resolve here, any other is null.
    shareable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      if (!isUuid(id)) return null;
      const type = await nodeType(ctx, String(id));
      const row = type && (await loadNode(ctx, type, String(id)));
      return row ? (Object.assign({ ...row }, { [NODE_TYPE]: type }) as unknown as { id: string }) : null;
    },
  }),
);
