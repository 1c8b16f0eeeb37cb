import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context as HonoContext, MiddlewareHandler } from "hono";
import { authenticate, type Caller, type ScopeName } from "../auth/api-key.js";
import type { KeyCache } from "../auth/key-cache.js";
import { rateLimitHeaders, type RateLimiter } from "../auth/rate-limit.js";
import type { Database } from "../db/client.js";
import { AppError, fromPrismaError, type FieldError } from "../errors.js";
import type { Services } from "../services/index.js";
import { isUuid } from "../services/validate.js";
import { requestIdOf } from "../request-id.js";

/** What a dialect's handlers get: the caller and the same services the graph uses. */
export interface DialectEnv {
  Variables: { caller: Caller; services: Services };
}

export interface DialectDeps {
  db: Database;
  /** Keys verified recently, shared with the graph. */
  keys?: KeyCache;
  limiter: RateLimiter;
  /** The services of one request, as the graph makes them. */
  servicesFor: (caller: Caller) => Services;
  /** Word that a workspace's changes grew (after a write route). */
  committed: (workspaceId: string) => void;
}

/** How one dialect speaks: where its key is, and the body of each error status it documents. */
export interface DialectStyle {
  /** Changes made through the dialect are recorded with the source `rest:<name>`. */
  name: string;
  keyOf(headers: Headers): string | undefined;
  error(status: number, message: string): Record<string, unknown>;
}

export const bearerOrApiKey = (headers: Headers) =>
  /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1] ?? headers.get("x-api-key")?.trim() ?? undefined;

/**
 * Authenticates with the dialect's key, checks the scope the route needs and the rate limit, and
 * puts the caller and its services on the context: the same checks as /graphql, spoken in the
 * dialect's statuses and bodies.
 */
function dialectGate(deps: DialectDeps, style: DialectStyle, scope: ScopeName): MiddlewareHandler<DialectEnv> {
  return async (c, next) => {
    const key = style.keyOf(c.req.raw.headers);
    let caller: Caller;
    try {
      caller = await authenticate(deps.db, new Headers(key ? { authorization: `Bearer ${key}` } : {}), deps.keys);
    } catch {
      return c.json(style.error(401, "Unauthorized or bad API key."), 401);
    }
    const decision = await deps.limiter.consume(caller.apiKeyId);
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
    if (!decision.allowed) {
      c.header("Retry-After", String(decision.retryAfter));
      return c.json(style.error(429, "Rate limit exceeded."), 429);
    }
    if (!caller.scopes.has(scope)) return c.json(style.error(403, `This API key lacks the ${scope} scope.`), 403);
    caller = { ...caller, source: `rest:${style.name}`, requestId: requestIdOf(c.req.raw) };
    c.set("caller", caller);
    c.set("services", deps.servicesFor(caller));
    await next();
    if (scope !== "read") deps.committed(caller.workspaceId);
  };
}

/** The status of a service's error in any dialect: the codes of the graph, as HTTP statuses. */
const STATUS: Record<string, 400 | 401 | 403 | 404 | 409 | 429> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
};

/** Runs a dialect's operation; a service's refusal becomes the dialect's status and body. */
async function answer(c: HonoContext<DialectEnv>, style: DialectStyle, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    const known = error instanceof AppError ? error : fromPrismaError(error);
    if (!known) throw error;
    const status = STATUS[String(known.extensions.code)] ?? 400;
    const fields = (known.extensions.fieldErrors as FieldError[] | undefined) ?? [];
    const message = fields.length ? fields.map((f) => `${f.path.join(".")}: ${f.message}`).join("; ") : known.message;
    return c.json(style.error(status, message), status);
  }
}

/** A request the route's schema refuses (wrong types, missing fields): 400 in the dialect's body. */
function invalidRequest(style: DialectStyle) {
  return (
    result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
    c: { json: (body: unknown, status: 400) => Response },
  ): Response | undefined =>
    result.success ? undefined : c.json(style.error(400, result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")), 400);
}

/** The context a route's handler gets: its validated input, the caller and the services. */
export type RouteContext<R extends RouteConfig> = Parameters<RouteHandler<R, DialectEnv>>[0];

/**
 * Registers one route of a dialect: the gate (key, rate limit, the scope it needs) for its
 * method and path, the handler with the services' refusals in the dialect's statuses, and the
 * dialect's 400 for a request its schema refuses.
 */
export function dialectRoute<R extends RouteConfig>(
  app: OpenAPIHono,
  deps: DialectDeps,
  style: DialectStyle,
  route: R & { getRoutingPath(): string },
  scope: ScopeName,
  handle: (c: RouteContext<R>) => Promise<Response>,
): void {
  app.on(route.method.toUpperCase(), route.getRoutingPath(), dialectGate(deps, style, scope));
  (app as unknown as OpenAPIHono<DialectEnv>).openapi(route, ((c: RouteContext<R>) => answer(c as never, style, () => handle(c))) as never, invalidRequest(style) as never);
}

/** A person a dialect names by our id or, failing that, by the caller's external id; NOT_FOUND when neither. */
export async function personNamed(services: Services, reference: string): Promise<string> {
  return isUuid(reference) && (await services.persons.find({ id: reference })) ? reference : services.persons.idOf({ externalId: reference });
}
