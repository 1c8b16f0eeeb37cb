import { getOperationAST, type DocumentNode, type OperationTypeNode } from "graphql";
import type { Plugin } from "graphql-yoga";

/** What useParsedDocument adds to the context Yoga builds a request's own context from. */
export interface ParsedDocumentContext {
  parsedDocument?: DocumentNode;
}

/**
 * Keeps the document Yoga parsed (or took from its parser cache) for the context, which Yoga
 * builds after parsing: the database a request reads from depends on its operation's kind.
 */
export function useParsedDocument(): Plugin<ParsedDocumentContext> {
  return {
    onParse:
      ({ extendContext }) =>
      ({ result }) => {
        if (result && !(result instanceof Error)) extendContext({ parsedDocument: result });
      },
  };
}

/** Whether the request is a query, a mutation or a subscription; undefined before a document is parsed. */
export function operationKind(context: ParsedDocumentContext, operationName: string | null | undefined): OperationTypeNode | undefined {
  return context.parsedDocument && getOperationAST(context.parsedDocument, operationName)?.operation;
}
