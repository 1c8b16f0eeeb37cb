import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { isUuid } from "../services/validate.js";
import { answer, bearerOrApiKey, dialectGate, invalidRequest, type DialectDeps, type DialectEnv, type DialectStyle } from "./dialect.js";

/** SlashID: its `{ meta, errors: [{ httpcode, message }] }` envelope for every error. */
export const style: DialectStyle = {
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

export function slashidRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  const typed = app as unknown as OpenAPIHono<DialectEnv>;
  app.on("PUT", put.getRoutingPath(), dialectGate(deps, style, "write"));
  app.on("GET", get.getRoutingPath(), dialectGate(deps, style, "read"));
  // The organization must be the key's workspace: any other is forbidden, whether or not it exists.
  const person = async (c: Parameters<Parameters<typeof typed.openapi>[1]>[0]) => {
    if (c.req.header("slashid-orgid") !== c.get("caller").workspaceId) return undefined;
    const { personId } = c.req.param() as { personId: string };
    const services = c.get("services");
    return isUuid(personId) && (await services.persons.find({ id: personId })) ? personId : services.persons.idOf({ externalId: personId });
  };
  typed.openapi(
    put,
    (c) =>
      answer(c, style, async () => {
        const id = await person(c);
        if (!id) return c.json(style.error(403, "The organization is not this API key's."), 403);
        await c.get("services").persons.setAttributes({ id }, c.req.valid("param").bucket, c.req.valid("json"));
        return c.body(null, 204);
      }),
    invalidRequest(style) as never,
  );
  typed.openapi(
    get,
    (c) =>
      answer(c, style, async () => {
        const id = await person(c);
        if (!id) return c.json(style.error(403, "The organization is not this API key's."), 403);
        return c.json({ result: await c.get("services").buckets.read(id, c.req.valid("param").bucket) }, 200);
      }),
    invalidRequest(style) as never,
  );
}
