import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPerson } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// Flameup's "Update person", served at /compat/flameup as its page documents it.
let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Flameup");
});
afterAll(() => h.close());

const put = (workspaceId: string, personId: string, body: unknown, key = tenant.adminKey) =>
  h.app.fetch(`http://test/compat/flameup/api/v1/workspaces/${workspaceId}/people/${personId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("PUT /compat/flameup/api/v1/workspaces/{workspaceId}/people/{personId}", () => {
  it("accepts the page's example ({ traits: {} }) and merges traits; the answer is Flameup's person", async () => {
    const person = await createPerson(tenant, { externalId: "fl-1", email: "user@example.com" });
    expect((await put(tenant.workspaceId, person.id, { traits: {} })).status).toBe(200);
    const response = await put(tenant.workspaceId, person.id, { traits: { plan: "growth" } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ id: person.id, workspace_id: tenant.workspaceId, external_id: "fl-1", email: "user@example.com", status: "active", attributes: { plan: "growth" } });
    expect(Object.keys(body).sort()).toEqual(
      ["attributes", "avatar_url", "created_at", "email", "external_id", "first_name", "first_seen_at", "id", "last_name", "last_seen_at", "locale", "phone", "status", "timezone", "updated_at", "workspace_id"],
    );
    // Both ways: a write through the graph shows through the dialect.
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, attributes: { seats: 3 }) { id } }`, { id: person.id });
    expect(((await (await put(tenant.workspaceId, "fl-1", { traits: {} })).json()) as { attributes: unknown }).attributes).toEqual({ plan: "growth", seats: 3 });
  });

  it("answers Flameup's 404 body for an unknown person and for another workspace", async () => {
    const other = await h.workspace("Elsewhere");
    const theirs = await createPerson(other);
    for (const [workspace, person] of [[tenant.workspaceId, "00000000-0000-4000-8000-000000000000"], [other.workspaceId, theirs.id], [tenant.workspaceId, theirs.id]]) {
      const response = await put(workspace!, person!, { traits: { x: 1 } });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "Not Found", message: "The requested resource was not found", code: 404 });
    }
    expect((await other.ok(`query($id: ID!) { person(id: $id) { attributes } }`, { id: theirs.id })).person.attributes).toEqual({});
  });

  it("401 without a valid key, 403 for a read-only key, 400 for malformed JSON or traits that are not an object", async () => {
    const person = await createPerson(tenant);
    expect((await put(tenant.workspaceId, person.id, { traits: {} }, "nope")).status).toBe(401);
    expect((await put(tenant.workspaceId, person.id, { traits: {} }, await tenant.key(["READ"]))).status).toBe(403);
    expect((await put(tenant.workspaceId, person.id, "{")).status).toBe(400);
    expect((await put(tenant.workspaceId, person.id, { traits: [1] })).status).toBe(400);
  });
});
