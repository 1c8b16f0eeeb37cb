import { queryFromInfo } from "@pothos/plugin-prisma";
import type { GraphQLResolveInfo } from "graphql";
import type { Page } from "../services/pagination.js";
import { builder, type Context } from "./builder.js";

/** A Relay connection type named `<Name>Connection` with `<Name>Edge`, plus `totalCount`. */
export function connectionOf<T>(name: string, node: Parameters<typeof builder.connectionObject>[0]["type"]) {
  return builder.connectionObject(
    {
      type: node,
      name: `${name}Connection`,
      fields: (t) => ({
        totalCount: t.int({
          description: "All rows that match the filter, on every page.",
          resolve: (connection) => (connection as unknown as Page<T>).totalCount(),
        }),
      }),
    },
    { name: `${name}Edge` },
  );
}

/**
 * The include/select plugin-prisma plans for the nodes of a connection, so that relations the
 * client selected (a participant's person, say) come in the same statement as the page.
 */
export function nodeQuery(ctx: Context, info: GraphQLResolveInfo): object {
  return queryFromInfo({ context: ctx, info, path: ["edges", "node"] });
}
