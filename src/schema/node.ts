import { builder } from "./builder.js";
import { NODE_TYPE, NodeInterface } from "./common.js";

builder.queryField("node", (t) =>
  t.field({
    type: NodeInterface,
    nullable: true,
    // Every Relay-style subgraph has `node`: shareable, so that they compose. A router sends a
    // node query to one subgraph; ids of this subgraph's types resolve here, any other is null.
    shareable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const found = await ctx.services.nodes.find(String(id));
      return found ? (Object.assign({ ...found.node }, { [NODE_TYPE]: found.type }) as unknown as { id: string }) : null;
    },
  }),
);
