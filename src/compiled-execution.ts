import { execute, getVariableValues, getOperationAST, Kind, visit, BREAK, type DocumentNode, type ExecutionArgs } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

/**
 * Executes operations with graphql-jit: each distinct document (Yoga's parser cache hands back the
 * same document for the same query text) is compiled once into plain JavaScript. On a page of 50
 * participants with 20 custom fields each, that halves the server's time per request compared
 * with the interpreting executor.
 *
 * Variables are coerced by graphql-js first: it applies the defaults of input-object fields, which
 * graphql-jit's own coercion leaves out (`PersonOrder.direction`), and words its errors as every
 * other GraphQL server does. Already-coerced values pass graphql-jit's second check unchanged.
 * A document graphql-jit cannot compile, or one that nests variables inside a literal, runs on
 * graphql-js.
 */
export function useCompiledExecution(): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | undefined>>();

  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    let byOperation = compiled.get(args.document);
    if (!byOperation) compiled.set(args.document, (byOperation = new Map()));
    const key = args.operationName ?? "";
    if (!byOperation.has(key)) {
      const result = variablesInsideLiterals(args.document) ? undefined : compileQuery(args.schema, args.document, args.operationName ?? undefined);
      byOperation.set(key, result && isCompiledQuery(result) ? result : undefined);
    }
    return byOperation.get(key);
  };

  const run = (args: ExecutionArgs) => {
    const query = compiledFor(args);
    const operation = getOperationAST(args.document, args.operationName);
    if (!query || !operation) return execute(args);
    const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (variables.errors) return { errors: variables.errors };
    return query.query(args.rootValue, args.contextValue, variables.coerced);
  };
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(run as never);
    },
  };
}

/**
 * Whether a variable sits inside an object or list literal (`attributes: { a: $v }`). graphql-jit
 * parses scalar literals without the variables, so a JSON literal would silently lose those keys.
 */
function variablesInsideLiterals(document: DocumentNode): boolean {
  let found = false;
  let depth = 0;
  const enter = () => void depth++;
  const leave = () => void depth--;
  visit(document, {
    ObjectValue: { enter, leave },
    ListValue: { enter, leave },
    Variable(node, _key, parent) {
      if (depth > 0 && (parent as { kind?: string } | undefined)?.kind !== Kind.VARIABLE_DEFINITION) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}
