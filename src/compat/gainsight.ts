import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { PersonInput } from "../services/person.js";
import type { LocationInput } from "../services/profile.js";
import { bearerOrApiKey, dialectRoute, type DialectDeps, type DialectStyle } from "./dialect.js";
import { keepInBucket, placeLeniently } from "./leftovers.js";

/** Gainsight PX: `X-APTRINSIC-API-KEY` (or `X-API-Key`); statuses without bodies of their own. */
export const style: DialectStyle = {
  name: "gainsight",
  keyOf: (headers) => headers.get("x-aptrinsic-api-key")?.trim() || bearerOrApiKey(headers),
  error: (status, message) => ({ statusCode: String(status), message }),
};

const Location = z
  .object({
    countryName: z.string(),
    countryCode: z.string(),
    stateName: z.string(),
    stateCode: z.string(),
    city: z.string(),
    street: z.string(),
    postalCode: z.union([z.string(), z.number()]),
    continent: z.string(),
    regionName: z.string(),
    timeZone: z.string(),
    coordinates: z.object({ latitude: z.number(), longitude: z.number() }).partial(),
  })
  .partial()
  .openapi("GainsightLocation");

const User = z
  .object({
    identifyId: z.string().min(1),
    type: z.enum(["LEAD", "USER", "VISITOR", "EMPTY_USER_TYPE"]),
    gender: z.enum(["MALE", "FEMALE", "OTHER", "EMPTY_GENDER"]),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    signUpDate: z.number().int(),
    firstVisitDate: z.number().int(),
    title: z.string(),
    phone: z.string(),
    score: z.number().int(),
    role: z.string(),
    subscriptionId: z.string(),
    accountId: z.string(),
    location: Location,
    propertyKeys: z.array(z.string()),
    customAttributes: z.record(z.string(), z.unknown()),
    globalUnsubscribe: z.boolean(),
    sfdcContactId: z.string(),
    channelMetricList: z.array(z.record(z.string(), z.unknown())),
    lastVisitedUserAgentData: z.array(z.record(z.string(), z.unknown())),
    lastInferredLocation: Location,
  })
  .partial()
  .required({ identifyId: true })
  .catchall(z.unknown())
  .openapi("GainsightUser");
type User = z.infer<typeof User>;

const route = createRoute({
  method: "put",
  path: "/gainsight/v1/users/{identifyId}",
  summary: "Gainsight PX: update a user by the id of its identify call",
  request: {
    params: z.object({ identifyId: z.string() }),
    body: { content: { "application/json": { schema: User } }, required: true },
  },
  responses: {
    204: { description: "Updated" },
    400: { description: "Bad request" },
    401: { description: "Unauthorized or bad API Key" },
    404: { description: "User not found" },
    429: { description: "Rate limit exceeded" },
  },
});

// What has a typed home in the graph (SPEC §8); everything else of the body is kept, by its
// Gainsight name, in the bucket "gainsight".
const HOMED = new Set(["identifyId", "type", "gender", "email", "firstName", "lastName", "signUpDate", "firstVisitDate", "title", "phone", "score",
  "role", "subscriptionId", "accountId", "location", "customAttributes", "globalUnsubscribe", "sfdcContactId", "lastInferredLocation"]);

const epoch = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
const location = (l: z.infer<typeof Location> | undefined): LocationInput | undefined =>
  l && {
    ...Object.fromEntries(
      (["countryName", "countryCode", "stateName", "stateCode", "city", "street", "continent", "regionName", "timeZone"] as const)
        .filter((k) => l[k] !== undefined)
        .map((k) => [k, l[k]]),
    ),
    ...(l.postalCode !== undefined ? { postalCode: String(l.postalCode) } : {}),
    ...(l.coordinates?.latitude !== undefined ? { latitude: l.coordinates.latitude } : {}),
    ...(l.coordinates?.longitude !== undefined ? { longitude: l.coordinates.longitude } : {}),
  };

/** Gainsight's user as a person update; custom attributes go to the person fields of their api name. */
function personInput(user: User, personFieldKeys: Set<string>): PersonInput {
  const identities = [
    ...(user.subscriptionId !== undefined ? [{ system: "subscription", id: user.subscriptionId }] : []),
    ...(user.sfdcContactId !== undefined ? [{ system: "salesforce", id: user.sfdcContactId }] : []),
  ];
  const custom = Object.entries(user.customAttributes ?? {}).filter(([key]) => personFieldKeys.has(key));
  const input: PersonInput = {
    type: user.type === "EMPTY_USER_TYPE" ? null : user.type,
    gender: user.gender === "EMPTY_GENDER" ? null : user.gender,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    title: user.title,
    phone: user.phone,
    score: user.score,
    role: user.role,
    accountId: user.accountId,
    signedUpAt: epoch(user.signUpDate),
    firstSeenAt: epoch(user.firstVisitDate),
    location: location(user.location),
    inferredLocation: location(user.lastInferredLocation),
    consent: user.globalUnsubscribe !== undefined ? { globalUnsubscribe: user.globalUnsubscribe } : undefined,
    identities: identities.length ? identities : undefined,
    customFields: custom.length ? custom.map(([key, value]) => ({ key, value })) : undefined,
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as PersonInput;
}

export function gainsightRoutes(app: OpenAPIHono, deps: DialectDeps): void {
  dialectRoute(app, deps, style, route, "write", async (c) => {
    const services = c.get("services");
    const user = c.req.valid("json");
    const { identifyId } = c.req.valid("param");
    const personId = await services.persons.idOf({ externalId: identifyId });
    const fieldKeys = new Set((await services.customFields.personFields(false)).map((f) => f.key));
    const kept: Record<string, unknown> = Object.fromEntries(Object.entries(user).filter(([key]) => !HOMED.has(key)));
    for (const [key, value] of Object.entries(user.customAttributes ?? {})) if (!fieldKeys.has(key)) kept[`customAttributes.${key}`] = value;
    // Values the graph refuses (Gainsight's own example sends "string" as an e-mail) are
    // kept, by their Gainsight name, rather than failing the whole update.
    const { refused } = await placeLeniently(personInput(user, fieldKeys), (input) => services.persons.update({ id: personId }, input));
    await keepInBucket(services, personId, "gainsight", { ...kept, ...refused });
    return c.body(null, 204);
  });
}
