import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { GraphQLError, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { isStorableText } from "./services/validate.js";

/** Bounds on what one request may ask for; each can be changed through the environment. */
export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxBodyBytes: number;
  introspection: boolean;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxCost: 20_000,
  maxAliases: 20,
  maxTokens: 5_000,
  maxDirectives: 50,
  // Enough for a few attribute values at their 64 KiB maximum.
  maxBodyBytes: 1024 * 1024,
  introspection: true,
};

/** How deep JSON may nest in variables: far beyond any real attribute, well short of any stack. */
export const MAX_JSON_DEPTH = 100;

/**
 * The path to the first problem in a value: a string PostgreSQL cannot store (a NUL, broken
 * UTF-16), or nesting deeper than MAX_JSON_DEPTH. Iterative, so no input can exhaust the stack.
 */
function unstorable(root: unknown, rootPath: string[]): { path: string[]; message: string } | undefined {
  const stack: [unknown, string[]][] = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === "string") {
      if (!isStorableText(value)) return { path, message: "Not storable text." };
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (path.length - rootPath.length >= MAX_JSON_DEPTH) return { path, message: `Nested deeper than ${MAX_JSON_DEPTH} levels.` };
    for (const [key, inner] of Object.entries(value)) {
      if (!isStorableText(key)) return { path: [...path, key], message: "Not storable text." };
      stack.push([inner, [...path, key]]);
    }
  }
  return undefined;
}

const refusal = (problem: { path: string[]; message: string }) =>
  new GraphQLError("Text with NUL characters or unpaired surrogates, or JSON nested too deep, cannot be stored.", {
    extensions: { code: "BAD_USER_INPUT", fieldErrors: [problem] },
  });

/**
 * Text PostgreSQL cannot hold (NUL characters, unpaired surrogates) and absurdly deep JSON are
 * refused once, here, for every argument of every operation: in variables before parsing, in
 * string literals (where `\u0000` escapes only appear once parsed) during validation.
 */
function storableText(): Plugin {
  const literalRule: ValidationRule = (context) => ({
    StringValue(node) {
      if (!isStorableText(node.value)) context.reportError(refusal({ path: ["query"], message: "Not storable text." }));
    },
  });
  return {
    onParams({ params, setResult }) {
      const problem = unstorable(params.query ?? "", ["query"]) ?? unstorable(params.variables ?? {}, ["variables"]);
      if (problem) setResult({ errors: [refusal(problem)] });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(literalRule);
    },
  };
}

export function queryLimitPlugins(limits: QueryLimits): Plugin[] {
  const onReject = [(_ctx: unknown, error: GraphQLError) => void error];
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, onReject },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, onReject },
    maxAliases: { n: limits.maxAliases, onReject },
    maxTokens: { n: limits.maxTokens, onReject },
    maxDirectives: { n: limits.maxDirectives, onReject },
    // Keeps the schema from leaking through "Did you mean …?" when introspection is off.
    blockFieldSuggestion: { enabled: !limits.introspection },
  }) as Plugin;
  // The body size is bounded by the request gate (request-gate.ts), before the body is read.
  return [storableText(), armor, ...(limits.introspection ? [] : [useDisableIntrospection() as Plugin])];
}
