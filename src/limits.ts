import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

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

/** The first string in a value that PostgreSQL cannot store: a NUL, or broken UTF-16. */
function unstorable(value: unknown, path: string[]): string[] | undefined {
  if (typeof value === "string") return value.includes("\u0000") || !value.isWellFormed() ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = unstorable(key, [...path, key]) ?? unstorable(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Text PostgreSQL cannot hold (NUL characters, unpaired surrogates) is refused once, here, for
 * every argument of every operation, rather than failing deep in a query as a server error.
 */
function storableText(): Plugin {
  return {
    onParams({ params, setResult }) {
      const path = unstorable(params.query ?? "", ["query"]) ?? unstorable(params.variables ?? {}, ["variables"]);
      if (!path) return;
      setResult({
        errors: [
          new GraphQLError("Text with NUL characters or unpaired surrogates cannot be stored.", {
            extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ path, message: "Not storable text." }] },
          }),
        ],
      });
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
  const bodySize: Plugin = {
    onRequest({ request, endResponse, fetchAPI }) {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > limits.maxBodyBytes) {
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({ errors: [{ message: `Request body over ${limits.maxBodyBytes} bytes.`, extensions: { code: "BAD_USER_INPUT" } }] }),
            { status: 413, headers: { "content-type": "application/json" } },
          ),
        );
      }
    },
  };
  return [bodySize, storableText(), armor, ...(limits.introspection ? [] : [useDisableIntrospection() as Plugin])];
}
