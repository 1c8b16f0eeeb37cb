import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../schema/builder.js";

/**
 * After a mutation (its transactions committed or rolled back), word that the caller's workspace
 * was written: to its live readers, and to the read routing that keeps its reads on the primary
 * until a replica has the write.
 */
export function announceCommits(committed: (workspaceId: string) => void): Plugin<Context> {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== "mutation") return;
      return { onExecuteDone: () => committed(args.contextValue.caller.workspaceId) };
    },
  };
}
