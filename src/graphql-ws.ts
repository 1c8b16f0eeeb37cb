import type { Server } from "node:http";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { App } from "./app.js";
import { authenticate } from "./auth/api-key.js";
import type { Database } from "./db/client.js";

/**
 * GraphQL over WebSocket (the `graphql-ws` protocol of Apollo Client, urql and Relay) on the
 * same path as HTTP. The key comes in the connection's `connectionParams` (`authorization` or
 * `x-api-key`) or its upgrade request's headers; a connection without a working key is closed
 * before any operation. Each operation then runs through the app's own envelop: the same context,
 * validation rules and limits as over HTTP.
 */
export function serveGraphqlWs(server: Server, app: App, db: Database, maxPayload: number): { close(): Promise<void> } {
  const sockets = new WebSocketServer({ server, path: "/graphql", maxPayload });
  const headersOf = (extra: { request: { headers: Record<string, string | string[] | undefined> } }, params: Record<string, unknown> | undefined) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(extra.request.headers)) if (typeof value === "string") headers.set(name, value);
    for (const name of ["authorization", "Authorization", "x-api-key", "X-API-Key"]) {
      if (typeof params?.[name] === "string") headers.set(name.toLowerCase(), params[name] as string);
    }
    return headers;
  };
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as { execute(a: ExecutionArgs): unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe(a: ExecutionArgs): unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        try {
          await authenticate(db, headersOf(ctx.extra, ctx.connectionParams));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const request = new Request("http://localhost/graphql", { method: "POST", headers: headersOf(ctx.extra, ctx.connectionParams) });
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.getEnveloped({ request, params: payload } as never);
        try {
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        } catch (error) {
          // A syntax error, a revoked key, the rate limit: the client's error, sent as one.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
    },
    sockets,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}
