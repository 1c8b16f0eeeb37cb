import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { NotFound } from "../errors.js";
import type { Services } from "../services/index.js";
import type { ParticipantLookup } from "../services/participant.js";
import { isUuid } from "../services/validate.js";
import { EVERYTHING, type ParticipantRow } from "../stores/participant-store.js";
import { displayValue } from "../services/custom-value.js";
import { bearerOrApiKey, dialectRoute, type DialectDeps, type DialectStyle } from "./dialect.js";
import { keepInBucket } from "./leftovers.js";

/** Shocklogic: `Authorization: Bearer` or `X-API-Key`; errors as `{ Message }`. */
export const style: DialectStyle = { name: "shocklogic", keyOf: bearerOrApiKey, error: (_status, message) => ({ Message: message }) };

// Shocklogic's standard fields and where they live: on the participant's profile, or the person's.
const STANDARD = { First_Name: "firstName", Family_Name: "lastName", Email: "email", Phone: "phone", Display_Name: "displayName" } as const;
const PERSON = { Company: "company", Title: "title" } as const;
const READ_ONLY = new Set(["Person_Id", "External_Id", "Total_Paid", "Total_Booked", "Balance_Due", "Currency"]);

const params = z.object({ programKey: z.string(), identifier: z.string().openapi({ description: "The participant's id, serial number or external id" }) });
const Profile = z.record(z.string(), z.unknown()).openapi("ShocklogicProfile", { description: "Standard fields and every custom field, flat" });
const path = "/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}";
const ERRORS = { 400: { description: "Bad request" }, 401: { description: "Unauthorized" }, 403: { description: "Forbidden" }, 404: { description: "Not found" } };
const ok = { description: "The complete profile", content: { "application/json": { schema: Profile } } };

const get = createRoute({ method: "get", path, summary: "Shocklogic: the complete profile", request: { params }, responses: { 200: ok, ...ERRORS } });
const post = createRoute({
  method: "post",
  path,
  summary: "Shocklogic: update the profile; each key goes to the standard field or the custom field of that name",
  request: { params, body: { content: { "application/json": { schema: Profile } }, required: true } },
  responses: { 200: ok, ...ERRORS },
});
const del = createRoute({ method: "delete", path, summary: "Shocklogic: delete the participant and all its custom values", request: { params }, responses: { 204: { description: "Deleted" }, ...ERRORS } });

/** An id, a serial number (digits) or an external id, told apart by their form. */
async function participantOf(services: Services, programKey: string, identifier: string): Promise<ParticipantRow> {
  if (isUuid(identifier)) {
    // An id names a participant of the program in the path, like the other two forms.
    const found = await services.participants.find({ id: identifier }, EVERYTHING);
    if (found && found.programId === (await services.programs.find({ key: programKey }))?.id) return found;
    throw new NotFound("Participant");
  }
  const tries: ParticipantLookup[] = /^\d{1,9}$/.test(identifier)
    ? [{ programKey, serialNumber: Number(identifier) }, { programKey, externalId: identifier }]
    : [{ programKey, externalId: identifier }];
  for (const lookup of tries) {
    const found = await services.participants.find(lookup, EVERYTHING);
    if (found) return found;
  }
  throw new NotFound("Participant");
}

/** Shocklogic's profile: standard fields, person fields and custom fields flat, values as the text shown. */
async function profile(services: Services, row: ParticipantRow): Promise<Record<string, unknown>> {
  const { totals } = await services.ledger.figures(row.id);
  const money = (kind: "BOOKING" | "PAYMENT") => totals.filter((t) => t.kind === kind);
  const currency = [...money("BOOKING"), ...money("PAYMENT")][0]?.asset;
  const sum = (kind: "BOOKING" | "PAYMENT") => {
    const found = money(kind).find((t) => t.asset === currency);
    return found ? found.amount.toFixed(found.scale) : "0";
  };
  const personFields = await services.persons.fieldValues(row.personId);
  const customFields = (row.definitions ?? [])
    .map((definition, i) => ({ definition, value: row.customValues?.[i]?.[0] }))
    .filter(({ definition }) => !definition.archived);
  return {
    Person_Id: String(row.serialNumber),
    External_Id: row.externalId,
    ...Object.fromEntries(Object.entries(STANDARD).map(([name, field]) => [name, row.person[field]])),
    ...Object.fromEntries(Object.entries(PERSON).map(([name, field]) => [name, row.person[field]])),
    Currency: currency ?? null,
    Total_Booked: sum("BOOKING"),
    Total_Paid: sum("PAYMENT"),
    ...Object.fromEntries(personFields.map(({ definition, stored }) => [definition.key, displayValue(definition, stored?.[0])])),
    ...Object.fromEntries(customFields.map(({ definition, value }) => [definition.key, displayValue(definition, value)])),
  };
}

export function shocklogicRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  dialectRoute(app, deps, style, get, "read", async (c) => {
    const { programKey, identifier } = c.req.valid("param");
    const services = c.get("services");
    return c.json(await profile(services, await participantOf(services, programKey, identifier)), 200);
  });

  dialectRoute(app, deps, style, post, "write", async (c) => {
    const { programKey, identifier } = c.req.valid("param");
    const services = c.get("services");
    const row = await participantOf(services, programKey, identifier);
    const body = c.req.valid("json");
    const programFields = new Set((row.definitions ?? []).filter((d) => !d.archived).map((d) => d.key));
    const personFields = new Set((await services.customFields.personFields(false)).map((f) => f.key));
    const input: Record<string, unknown> = {};
    const person: Record<string, unknown> = {};
    const customFields: { key: string; value: unknown }[] = [];
    const personCustom: { key: string; value: unknown }[] = [];
    const kept: Record<string, unknown> = {};
    // Each key to the standard field, the program's custom field or the person field of that
    // name; anything else is kept in the bucket "shocklogic", never dropped.
    for (const [key, value] of Object.entries(body)) {
      if (key in STANDARD) input[STANDARD[key as keyof typeof STANDARD]] = value === null ? "" : String(value);
      else if (key in PERSON) person[PERSON[key as keyof typeof PERSON]] = value === null ? "" : String(value);
      else if (programFields.has(key)) customFields.push({ key, value: value === "" ? null : value });
      else if (personFields.has(key)) personCustom.push({ key, value: value === "" ? null : value });
      else if (!READ_ONLY.has(key)) kept[key] = value;
    }
    if (personCustom.length) person.customFields = personCustom;
    const updated = await services.participants.update(
      { id: row.id },
      { ...input, ...(customFields.length ? { customFields } : {}), ...(Object.keys(person).length ? { person } : {}) },
      undefined,
      EVERYTHING,
    );
    await keepInBucket(services, updated.personId, "shocklogic", kept);
    return c.json(await profile(services, updated), 200);
  });

  dialectRoute(app, deps, style, del, "write", async (c) => {
    const { programKey, identifier } = c.req.valid("param");
    const services = c.get("services");
    await services.participants.delete({ id: (await participantOf(services, programKey, identifier)).id });
    return c.body(null, 204);
  });
}
