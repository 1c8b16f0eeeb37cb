import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPerson } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// The dialects as a whole: their OpenAPI document, and every route against another workspace's
// records and against keys without the scope it needs (a new route fails here until it has both).
let h: Harness;
let a: Tenant;
let b: Tenant;
let bPerson: string;
let bParticipant: string;
beforeAll(async () => {
  h = await createHarness();
  a = await h.workspace("Dialects A");
  b = await h.workspace("Dialects B");
  bPerson = (await createPerson(b, { externalId: "b-user" })).id;
  await b.ok(`mutation { createProgram(input: { key: "shared", name: "B" }) { id } }`);
  bParticipant = (await b.ok(`mutation { enrollParticipant(input: { programKey: "shared", externalId: "b-reg", person: { firstName: "B" } }) { id } }`)).enrollParticipant.id;
  await a.ok(`mutation { createProgram(input: { key: "shared", name: "A" }) { id } }`);
  await b.ok(`mutation { createAttributeBucket(name: "shared") { name } }`);
  await a.ok(`mutation { createAttributeBucket(name: "shared") { name } }`);
});
afterAll(() => h.close());

async function openapi() {
  return (await (await h.app.fetch("http://test/compat/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
}

const send = (method: string, path: string, key: string, extra: Record<string, string> = {}, body?: unknown) =>
  h.app.fetch(`http://test${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-aptrinsic-api-key": key, "slashid-orgid": a.workspaceId, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Each route, from A, naming B's records: answered as not found, and B unchanged. */
const ISOLATION: Record<string, () => Promise<void>> = {
  "PUT /compat/gainsight/v1/users/{identifyId}": async () =>
    expect((await send("PUT", "/compat/gainsight/v1/users/b-user", a.adminKey, {}, { identifyId: "b-user", firstName: "A" })).status).toBe(404),
  "PUT /compat/flameup/api/v1/workspaces/{workspaceId}/people/{personId}": async () => {
    expect((await send("PUT", `/compat/flameup/api/v1/workspaces/${a.workspaceId}/people/${bPerson}`, a.adminKey, {}, { traits: { x: 1 } })).status).toBe(404);
    expect((await send("PUT", `/compat/flameup/api/v1/workspaces/${b.workspaceId}/people/${bPerson}`, a.adminKey, {}, { traits: { x: 1 } })).status).toBe(404);
  },
  "PUT /compat/slashid/persons/{personId}/attributes/{bucket}": async () => {
    expect((await send("PUT", `/compat/slashid/persons/${bPerson}/attributes/shared`, a.adminKey, {}, { x: 1 })).status).toBe(404);
    expect((await send("PUT", `/compat/slashid/persons/${bPerson}/attributes/shared`, a.adminKey, { "slashid-orgid": b.workspaceId }, { x: 1 })).status).toBe(403);
  },
  "GET /compat/slashid/persons/{personId}/attributes/{bucket}": async () =>
    expect((await send("GET", `/compat/slashid/persons/${bPerson}/attributes/shared`, a.adminKey)).status).toBe(404),
  "PATCH /compat/scrip/v1/participants/{id}": async () =>
    expect((await send("PATCH", `/compat/scrip/v1/participants/${bParticipant}`, a.adminKey, {}, { tags: ["a"] })).status).toBe(404),
  "GET /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": async () => {
    for (const identifier of [bParticipant, "1", "b-reg"]) {
      expect((await send("GET", `/compat/shocklogic/v1.0/shared/ParticipantProfileValues/${identifier}`, a.adminKey)).status).toBe(404);
    }
  },
  "POST /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": async () =>
    expect((await send("POST", `/compat/shocklogic/v1.0/shared/ParticipantProfileValues/b-reg`, a.adminKey, {}, { First_Name: "A" })).status).toBe(404),
  "DELETE /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": async () =>
    expect((await send("DELETE", `/compat/shocklogic/v1.0/shared/ParticipantProfileValues/${bParticipant}`, a.adminKey)).status).toBe(404),
};

/** The scope each route needs: a key with less gets the dialect's 403. */
const SCOPES: Record<string, "read" | "write"> = {
  "PUT /compat/gainsight/v1/users/{identifyId}": "write",
  "PUT /compat/flameup/api/v1/workspaces/{workspaceId}/people/{personId}": "write",
  "PUT /compat/slashid/persons/{personId}/attributes/{bucket}": "write",
  "GET /compat/slashid/persons/{personId}/attributes/{bucket}": "read",
  "PATCH /compat/scrip/v1/participants/{id}": "write",
  "GET /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "read",
  "POST /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "write",
  "DELETE /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "write",
};

describe("the dialects", () => {
  it("serve an OpenAPI 3.1 document that a validator accepts", async () => {
    const doc = await openapi();
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("have an isolation and a scope case for every route", async () => {
    const routes = Object.entries((await openapi()).paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(Object.keys(ISOLATION).sort()).toEqual(routes.sort());
    expect(Object.keys(SCOPES).sort()).toEqual(routes.sort());
  });

  it("never let one workspace's key reach another's records", async () => {
    const state = async () =>
      JSON.stringify([
        await b.ok(`query($id: ID!) { person(id: $id) { firstName version attributes shared: attributes(bucket: "shared") } }`, { id: bPerson }),
        await b.ok(`query($id: ID!) { participant(id: $id) { version tags person { firstName } } }`, { id: bParticipant }),
      ]);
    const before = await state();
    for (const [route, run] of Object.entries(ISOLATION)) {
      try {
        await run();
      } catch (error) {
        throw new Error(`${route}: ${(error as Error).message}`);
      }
    }
    expect(await state()).toBe(before);
  });

  it("refuse a key without the route's scope with 403", async () => {
    const none = await a.key(["READ"]);
    const person = await createPerson(a, { externalId: "a-user" });
    const mine = (await a.ok(`mutation { enrollParticipant(input: { programKey: "shared", externalId: "a-reg", person: { firstName: "A" } }) { id } }`)).enrollParticipant.id;
    const paths: Record<string, string> = {
      "PUT /compat/gainsight/v1/users/{identifyId}": "/compat/gainsight/v1/users/a-user",
      "PUT /compat/flameup/api/v1/workspaces/{workspaceId}/people/{personId}": `/compat/flameup/api/v1/workspaces/${a.workspaceId}/people/${person.id}`,
      "PUT /compat/slashid/persons/{personId}/attributes/{bucket}": `/compat/slashid/persons/${person.id}/attributes/shared`,
      "GET /compat/slashid/persons/{personId}/attributes/{bucket}": `/compat/slashid/persons/${person.id}/attributes/shared`,
      "PATCH /compat/scrip/v1/participants/{id}": `/compat/scrip/v1/participants/${mine}`,
      "GET /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "/compat/shocklogic/v1.0/shared/ParticipantProfileValues/a-reg",
      "POST /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "/compat/shocklogic/v1.0/shared/ParticipantProfileValues/a-reg",
      "DELETE /compat/shocklogic/v1.0/{programKey}/ParticipantProfileValues/{identifier}": "/compat/shocklogic/v1.0/shared/ParticipantProfileValues/a-reg",
    };
    for (const [route, scope] of Object.entries(SCOPES)) {
      const [method] = route.split(" ");
      const body = method === "GET" || method === "DELETE" ? undefined : route.includes("gainsight") ? { identifyId: "a-user" } : route.includes("flameup") ? { traits: {} } : {};
      const response = await send(method!, paths[route]!, none, {}, body);
      if (scope === "write") expect(response.status, route).toBe(403);
      else expect(response.status, route).toBe(200);
    }
  });
});
