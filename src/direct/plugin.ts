import { getArgumentValues, getVariableValues, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Counter } from "prom-client";
import { perOperation } from "../per-operation.js";
import type { Context } from "../schema/builder.js";
import { directPlan, type DirectPlan } from "./plan.js";

// Stands in for the root field's value until the response is written: JSON.stringify writes it
// as "\u0000direct", which no other value of such a result can contain.
const PLACEHOLDER = "\u0000direct";
const WRITTEN_PLACEHOLDER = JSON.stringify(PLACEHOLDER);

/**
 * Reads answered with PostgreSQL's JSON text written into the response as it is: for the
 * participant look-up and the participant list (plan.ts says which selections), the rows'
 * JSON is never parsed into objects, walked by resolvers and written out again. Everything
 * before execution (authentication, limits, validation) is unchanged, and anything the plan
 * cannot answer the same way (another selection, a bad argument, a value whose display differs)
 * runs through ordinary execution. Only over HTTP, where Yoga writes the response and honours a
 * result's own `stringify`; not when a router asks for a federated trace of the resolvers.
 */
export function useDirectReads(answered?: Counter<"answeredBy">): Plugin<Context> {
  const planOf = perOperation((args, operation) => directPlan(args.schema, args.document, operation));
  const overHttp = new WeakSet<Request>();

  async function answer(plan: DirectPlan, args: ExecutionArgs): Promise<ExecutionResult | undefined> {
    const context = args.contextValue as Context;
    if (!context.caller.scopes.has("read")) return undefined;
    const variables = getVariableValues(args.schema, plan.variables, args.variableValues ?? {});
    if (variables.errors) return undefined;
    let text: string | undefined;
    try {
      text = await plan.answer(context, getArgumentValues(plan.field, plan.node, variables.coerced));
    } catch {
      // Refused input or a failed statement: ordinary execution gives the error its path.
      return undefined;
    }
    if (text === undefined) return undefined;
    const written = text;
    return {
      data: { [plan.key]: PLACEHOLDER },
      stringify: (result: ExecutionResult) => JSON.stringify(result).replace(WRITTEN_PLACEHOLDER, () => written),
    } as ExecutionResult;
  }

  return {
    onParams({ request }) {
      if (!request.headers.has("apollo-federation-include-trace")) overHttp.add(request);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const { request } = args.contextValue as { request?: Request };
      const plan = request && overHttp.has(request) ? planOf(args) : undefined;
      if (!plan) return;
      setExecuteFn(async (a) => {
        const result = await answer(plan, a);
        answered?.inc({ answeredBy: result ? "direct" : "resolvers" });
        return result ?? executeFn(a);
      });
    },
  };
}
