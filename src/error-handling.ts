import { GraphQLError, type ExecutionResult } from "graphql";
import { useErrorHandler, type Plugin, type YogaMaskedErrorOpts } from "graphql-yoga";
import { fromPrismaError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Context } from "./schema/builder.js";

/**
 * The one home of errors on their way out: what only the database could detect becomes the
 * spec's code, anything else unexpected is masked (no stack, no SQL) and logged with its cause and
 * the request id the client sees, and every error leaves with a code.
 */
export function errorHandling(
  logger: Logger,
  { suggest, requestIdOf }: { suggest: boolean; requestIdOf: (request: Request) => string },
): { masking: Partial<YogaMaskedErrorOpts>; plugins: Plugin[] } {
  const masking: Partial<YogaMaskedErrorOpts> = {
    maskError: (error: unknown, message: string): Error =>
      shown(error) ??
      // 500 when nothing could be answered (the database is gone, say); a partial result keeps 200.
      new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR", http: { status: 500 } } }),
  };

  const logUnexpected = useErrorHandler(({ errors, context }) => {
    // In the execution phase envelop hands over the execution's arguments, not the context.
    const ours = ((context as { contextValue?: unknown }).contextValue ?? context) as Partial<Context> & { request?: Request };
    const requestId = ours.requestId ?? (ours.request && requestIdOf(ours.request));
    for (const error of errors) {
      if (shown(error)) continue;
      logger.error({ err: (error instanceof GraphQLError && error.originalError) || error, requestId }, "unexpected error");
    }
  }) as Plugin;

  const codes: Plugin = {
    onResultProcess({ request, result, setResult }) {
      const requestId = requestIdOf(request);
      const normalise = (one: ExecutionResult) => (one.errors?.length ? { ...one, errors: normaliseErrors(one.errors, requestId, suggest) } : one);
      if (Array.isArray(result)) setResult(result.map((one) => normalise(one as ExecutionResult)) as typeof result);
      else if ("errors" in result) setResult(normalise(result as ExecutionResult) as typeof result);
    },
  };
  return { masking, plugins: [logUnexpected, codes] };
}

/**
 * What a client is shown of an error: the spec's error for what the database refused, or the
 * error itself when it is one of ours or graphql's; undefined when it is unexpected.
 */
function shown(error: unknown): Error | undefined {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const mapped = original ? fromPrismaError(original) : undefined;
  if (mapped) return mapped;
  if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError)) return error;
  return undefined;
}

function withExtensions(error: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(error.message, { ...error, extensions: { ...error.extensions, ...extensions } });
}

// graphql-js ends a message with its guesses: `Did you mean "a", "b" or "c"?`.
const SUGGESTION = /\s*Did you mean [^?]*\?\s*$/;

/**
 * Masked errors carry the request id, so a user can quote it and we can find the log line; a
 * request refused before execution (syntax, validation, query limits) is the client's to fix.
 * With introspection off, no message suggests a name.
 */
function normaliseErrors(errors: readonly GraphQLError[], requestId: string, suggest: boolean): GraphQLError[] {
  return errors.map((error) => {
    const code = error.extensions?.code;
    let normalised = error;
    if (code === "INTERNAL_SERVER_ERROR") normalised = withExtensions(error, { requestId });
    else if ((code === undefined && !error.path) || code === "GRAPHQL_PARSE_FAILED" || code === "GRAPHQL_VALIDATION_FAILED") {
      normalised = withExtensions(error, { code: "BAD_USER_INPUT" });
    }
    if (!suggest && SUGGESTION.test(normalised.message)) {
      normalised = new GraphQLError(normalised.message.replace(SUGGESTION, ""), { ...normalised, extensions: normalised.extensions });
    }
    return normalised;
  });
}
