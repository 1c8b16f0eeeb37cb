import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Caller } from "../auth/api-key.js";
import type { Services } from "../services/index.js";
import { bearerOrApiKey, dialectRoute, personNamed, type DialectDeps, type DialectStyle } from "./dialect.js";

/** SlashID: its `{ meta, errors: [{ httpcode, message }] }` envelope for every error. */
export const style: DialectStyle = {
  name: "slashid",
  keyOf: bearerOrApiKey,
  error: (status, message) => ({ meta: { pagination: { limit: 0, offset: 0, total_count: 0 } }, errors: [{ httpcode: status, message }] }),
};

const params = z.object({ personId: z.string(), bucket: z.string() });
const headers = z.object({ "slashid-orgid": z.string().openapi({ description: "The organization: the API key's workspace id" }) });
const ERRORS = {
  400: { description: "Bad Request" },
  401: { description: "Unauthorized" },
  403: { description: "Forbidden" },
  404: { description: "Not Found" },
};

const put = createRoute({
  method: "put",
  path: "/slashid/persons/{personId}/attributes/{bucket}",
  summary: "SlashID: create or modify attributes for a person in a single bucket",
  request: { params, headers, body: { content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("SlashIDAttributes") } }, required: true } },
  responses: { 204: { description: "No content" }, ...ERRORS },
});

const get = createRoute({
  method: "get",
  path: "/slashid/persons/{personId}/attributes/{bucket}",
  summary: "SlashID: the attributes of a person in a single bucket",
  request: { params, headers },
  responses: { 200: { description: "The attributes", content: { "application/json": { schema: z.object({ result: z.record(z.string(), z.unknown()) }) } } }, ...ERRORS },
});

/** The person of the path, when the organization header names the key's own workspace. */
async function personOf(services: Services, caller: Caller, organization: string | undefined, personId: string): Promise<string | undefined> {
  // Any other organization is forbidden, whether or not it exists.
  if (organization !== caller.workspaceId) return undefined;
  return personNamed(services, personId);
}

const foreign = "The organization is not this API key's.";

export function slashidRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  dialectRoute(app, deps, style, put, "write", async (c) => {
    const id = await personOf(c.get("services"), c.get("caller"), c.req.header("slashid-orgid"), c.req.valid("param").personId);
    if (!id) return c.json(style.error(403, foreign), 403);
    await c.get("services").persons.setAttributes({ id }, c.req.valid("param").bucket, c.req.valid("json"));
    return c.body(null, 204);
  });
  dialectRoute(app, deps, style, get, "read", async (c) => {
    const id = await personOf(c.get("services"), c.get("caller"), c.req.header("slashid-orgid"), c.req.valid("param").personId);
    if (!id) return c.json(style.error(403, foreign), 403);
    return c.json({ result: await c.get("services").buckets.read(id, c.req.valid("param").bucket) }, 200);
  });
}
