import { getOperationAST, parse, type OperationTypeNode } from "graphql";
import { BoundedMap } from "./bounded-map.js";

// Keyed by document and operation name; a client sends a handful of distinct documents, and an
// attacker's endless new ones only push out the oldest.
const kinds = new BoundedMap<string, OperationTypeNode | undefined>(1_000);

/**
 * Whether a request is a query, a mutation or a subscription, before it runs: the context (and
 * with it the database a request reads from) is built before execution. Yoga has parsed and
 * validated the document by then; this parses it once more per distinct document.
 */
export function operationKind(params: { query?: string; operationName?: string | null }): OperationTypeNode | undefined {
  if (!params.query) return undefined;
  const key = `${params.operationName ?? ""}\u0000${params.query}`;
  if (kinds.has(key)) return kinds.get(key);
  let kind: OperationTypeNode | undefined;
  try {
    kind = getOperationAST(parse(params.query, { noLocation: true }), params.operationName)?.operation;
  } catch {
    kind = undefined;
  }
  kinds.set(key, kind);
  return kind;
}
