import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { GraphQLError } from "graphql";
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
  return [bodySize, armor, ...(limits.introspection ? [] : [useDisableIntrospection() as Plugin])];
}
