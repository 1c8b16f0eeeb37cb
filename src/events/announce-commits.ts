import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../schema/builder.js";
import type { ChangeEvents } from "./change-events.js";

/** After a mutation (its transactions committed or rolled back), word to the caller's workspace's live readers. */
export function announceCommits(events: ChangeEvents): Plugin<Context> {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== "mutation") return;
      return { onExecuteDone: () => events.committed(args.contextValue.caller.workspaceId) };
    },
  };
}
