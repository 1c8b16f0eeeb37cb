import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Person } from "../generated/prisma/client.js";
import { bearerOrApiKey, dialectRoute, personNamed, type DialectDeps, type DialectStyle } from "./dialect.js";

/** Flameup: Bearer keys; its 404 body is `{ error, message, code }`, and so are the others. */
export const style: DialectStyle = {
  name: "flameup",
  keyOf: bearerOrApiKey,
  error: (status, message) => ({ error: STATUS_TEXT[status] ?? "Error", message: status === 404 ? "The requested resource was not found" : message, code: status }),
};
const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests" };

const FlameupPerson = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    external_id: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    avatar_url: z.string().nullable(),
    timezone: z.string().nullable(),
    locale: z.string().nullable(),
    status: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    first_seen_at: z.string().nullable(),
    last_seen_at: z.string().nullable(),
  })
  .openapi("FlameupPerson");

const route = createRoute({
  method: "put",
  path: "/flameup/api/v1/workspaces/{workspaceId}/people/{personId}",
  summary: "Flameup: update a person's attributes (traits merged with the existing ones)",
  request: {
    params: z.object({ workspaceId: z.string(), personId: z.string() }),
    body: { content: { "application/json": { schema: z.object({ traits: z.record(z.string(), z.unknown()) }).partial().openapi("FlameupUpdate") } }, required: true },
  },
  responses: {
    200: { description: "The person", content: { "application/json": { schema: FlameupPerson } } },
    400: { description: "Bad request" },
    401: { description: "Unauthorized" },
    404: { description: "Not found" },
  },
});

const iso = (date: Date | null) => date?.toISOString() ?? null;

function shape(person: Person, attributes: Record<string, unknown>): z.infer<typeof FlameupPerson> {
  return {
    id: person.id,
    workspace_id: person.workspaceId,
    external_id: person.externalId,
    email: person.email,
    phone: person.phone,
    first_name: person.firstName,
    last_name: person.lastName,
    avatar_url: person.avatarUrl,
    timezone: person.timezone,
    locale: person.locale,
    status: person.status.toLowerCase(),
    attributes,
    created_at: person.createdAt.toISOString(),
    updated_at: person.updatedAt.toISOString(),
    first_seen_at: iso(person.firstSeenAt),
    last_seen_at: iso(person.lastSeenAt),
  };
}

export function flameupRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  dialectRoute(app, deps, style, route, "write", async (c) => {
    const { workspaceId, personId } = c.req.valid("param");
    // Another workspace's id is no different from one that does not exist.
    if (workspaceId !== c.get("caller").workspaceId) return c.json(style.error(404, ""), 404);
    const services = c.get("services");
    const id = await personNamed(services, personId);
    const person = await services.persons.setAttributes({ id }, "default", c.req.valid("json").traits ?? {});
    return c.json(shape(person, await services.buckets.read(id, "default")), 200);
  });
}
