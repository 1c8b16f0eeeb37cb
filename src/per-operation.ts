import { getOperationAST, type DocumentNode, type ExecutionArgs, type OperationDefinitionNode } from "graphql";

/**
 * `make`'s answer for an operation of a document, computed once: Yoga's parser cache hands back
 * the same document object for the same query text, so whatever is derived from a document
 * (a compiled query, a plan) is made on its first request and kept while the document is.
 */
export function perOperation<T>(make: (args: ExecutionArgs, operation: OperationDefinitionNode | null | undefined) => T): (args: ExecutionArgs) => T {
  const made = new WeakMap<DocumentNode, Map<string, T>>();
  return (args) => {
    let byOperation = made.get(args.document);
    if (!byOperation) made.set(args.document, (byOperation = new Map()));
    const key = args.operationName ?? "";
    if (!byOperation.has(key)) byOperation.set(key, make(args, getOperationAST(args.document, args.operationName)));
    return byOperation.get(key)!;
  };
}
