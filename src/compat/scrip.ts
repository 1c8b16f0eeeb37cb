import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../services/index.js";
import { EVERYTHING, type ParticipantRow } from "../stores/participant-store.js";
import { bearerOrApiKey, dialectRoute, type DialectDeps, type DialectStyle } from "./dialect.js";

/** Scrip: `X-API-Key`; errors as `{ error, message }`. */
export const style: DialectStyle = {
  name: "scrip",
  keyOf: (headers) => headers.get("x-api-key")?.trim() || bearerOrApiKey(headers),
  error: (status, message) => ({ error: CODES[status] ?? "error", message }),
};
const CODES: Record<number, string> = { 400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large", 429: "rate_limited", 500: "internal_error" };

const Update = z
  .object({
    external_id: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    display_name: z.string(),
    email: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    phone: z.string(),
    status: z.enum(["ACTIVE", "SUSPENDED", "CLOSED"]).openapi({ description: "Not changed here, as Scrip documents: use the status endpoint." }),
    tags: z.array(z.string()),
  })
  .partial()
  .openapi("ScripParticipantUpdate");

const Participant = z
  .object({
    id: z.string(),
    external_id: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    display_name: z.string().nullable(),
    status: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
    balances: z.record(z.string(), z.record(z.string(), z.string())),
    counters: z.record(z.string(), z.string()),
    tiers: z.record(z.string(), z.object({ level: z.string(), rank: z.number() })),
    program_ids: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ScripParticipant");

const route = createRoute({
  method: "patch",
  path: "/scrip/v1/participants/{id}",
  summary: "Scrip: partially update a participant (status is not changed here)",
  request: { params: z.object({ id: z.string() }), body: { content: { "application/json": { schema: Update } }, required: true } },
  responses: {
    200: { description: "Participant updated", content: { "application/json": { schema: Participant } } },
    400: { description: "Invalid request" },
    401: { description: "Unauthorized" },
    403: { description: "Forbidden" },
    404: { description: "Participant not found" },
  },
});

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());
const amount = (total: { amount: { toFixed(scale: number): string }; scale: number }) => total.amount.toFixed(total.scale);

/** A participant in Scrip's shape: snake_case, balances per asset and bucket, counters and tiers as maps. */
export async function scripParticipant(services: Services, row: ParticipantRow): Promise<z.infer<typeof Participant>> {
  const { totals, tiers } = await services.ledger.figures(row.id);
  const balances: Record<string, Record<string, string>> = {};
  const counters: Record<string, string> = {};
  for (const total of totals) {
    if (total.kind === "BALANCE") (balances[total.asset] ??= {})[total.bucket.toLowerCase()] = amount(total);
    if (total.kind === "COUNTER") counters[total.asset] = amount(total);
  }
  return {
    id: row.id,
    external_id: row.externalId,
    email: row.person.email,
    phone: row.person.phone,
    first_name: row.person.firstName,
    last_name: row.person.lastName,
    display_name: row.person.displayName,
    status: row.status,
    attributes: (row.attributes ?? {}) as Record<string, unknown>,
    tags: row.tags,
    balances,
    counters,
    tiers: Object.fromEntries(tiers.map((t) => [t.tierType, { level: t.level, rank: t.rank }])),
    program_ids: [...new Set(await services.participants.programsOf(row.personId))],
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function scripRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  dialectRoute(app, deps, style, route, "write", async (c) => {
    const services = c.get("services");
    const body = c.req.valid("json");
    const row = await services.participants.update(
      { id: c.req.valid("param").id },
      {
        externalId: body.external_id,
        attributes: body.attributes,
        displayName: body.display_name,
        email: body.email,
        firstName: body.first_name,
        lastName: body.last_name,
        phone: body.phone,
        tags: body.tags,
      },
      undefined,
      EVERYTHING,
    );
    return c.json(await scripParticipant(services, row), 200);
  });
}
