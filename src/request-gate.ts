import type { Plugin } from "graphql-yoga";
import { authenticate, type Caller } from "./auth/api-key.js";
import type { KeyCache } from "./auth/key-cache.js";
import type { Database } from "./db/client.js";
import { AppError } from "./errors.js";

/**
 * What a request to the GraphQL endpoint must pass before its body is parsed: a body of at most
 * `maxBodyBytes`, counted on the stream itself so that a chunked body without Content-Length is
 * bounded too, then a valid API key. A refused request costs at most that many bytes read, one
 * hash and one indexed look-up, never a parse.
 */
export interface RequestGate {
  plugin: Plugin;
  /** The caller the gate authenticated for this request. */
  callerOf(request: Request): Caller | undefined;
}

export function requestGate({
  db,
  keys,
  graphqlEndpoint,
  maxBodyBytes,
  onReplace,
}: {
  db: Database;
  /** Keys verified recently. */
  keys?: KeyCache;
  graphqlEndpoint: string;
  maxBodyBytes: number;
  /** Told when the gate hands on a new Request object carrying the buffered body. */
  onReplace: (from: Request, to: Request) => void;
}): RequestGate {
  const callers = new WeakMap<Request, Caller>();
  const refuse = (fetchAPI: { Response: typeof Response }, status: number, message: string, code: string) =>
    new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
      status,
      // A body refused unread is still on its way: the connection cannot carry another request.
      headers: { "content-type": "application/json; charset=utf-8", ...(status === 413 || status === 415 ? { connection: "close" } : {}) },
    });

  const tooLarge = (fetchAPI: { Response: typeof Response }) => refuse(fetchAPI, 413, `Request body over ${maxBodyBytes} bytes.`, "BAD_USER_INPUT");

  const plugin: Plugin = {
    async onRequest({ request, url, setRequest, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint || !carriesOperation(request, url)) return;
      // A compressed body would be limited only before it is inflated.
      const encoding = request.headers.get("content-encoding");
      if (encoding && encoding !== "identity") {
        return endResponse(refuse(fetchAPI, 415, "Compressed request bodies are not accepted.", "BAD_USER_INPUT"));
      }
      const declared = request.headers.get("content-length");
      if (declared !== null && Number(declared) > maxBodyBytes) {
        return endResponse(tooLarge(fetchAPI));
      }
      // With a Content-Length, Node's HTTP parser already holds the body to it; without one, the
      // stream is read here, up to the limit, and handed on buffered.
      if (declared !== null || !request.body) return;
      const body = await readAtMost(request.body, maxBodyBytes);
      if (!body) return endResponse(tooLarge(fetchAPI));
      const buffered = new fetchAPI.Request(request.url, {
        method: request.method,
        headers: request.headers,
        body: body as unknown as BodyInit,
        signal: request.signal,
      });
      onReplace(request, buffered);
      setRequest(buffered);
    },
    // After CSRF prevention (an earlier plugin's hook of this phase) and before the body is parsed.
    async onRequestParse({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint || !carriesOperation(request, url)) return;
      try {
        callers.set(request, await authenticate(db, request.headers, keys));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        endResponse(refuse(fetchAPI, 401, error.message, "UNAUTHENTICATED"));
      }
    },
  };
  return { plugin, callerOf: (request) => callers.get(request) };
}

/** GraphiQL's page and CORS preflights carry no operation and need no key. */
function carriesOperation(request: Request, url: URL): boolean {
  if (request.method === "POST") return true;
  return request.method === "GET" && (url.searchParams.has("query") || url.searchParams.has("extensions"));
}

/** The whole stream, or undefined (the rest cancelled) as soon as it passes `max` bytes. */
async function readAtMost(stream: ReadableStream<Uint8Array>, max: number): Promise<Buffer | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
}
