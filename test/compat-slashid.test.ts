import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPerson } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

// SlashID's "attributes in a single bucket", served at /compat/slashid as its page documents it.
let h: Harness;
let tenant: Tenant;
let personId: string;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("SlashID");
  await tenant.ok(`mutation { createAttributeBucket(name: "end_user_read_write") { name } }`);
  personId = (await createPerson(tenant)).id;
});
afterAll(() => h.close());

const call = (method: "PUT" | "GET", bucket: string, body?: unknown, headers: Record<string, string> = {}, person = personId) =>
  h.app.fetch(`http://test/compat/slashid/persons/${person}/attributes/${bucket}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}`, "slashid-orgid": tenant.workspaceId, ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const envelope = async (response: Response) => (await response.json()) as { meta: unknown; errors: { httpcode: number; message: string }[] };

describe("/compat/slashid/persons/{personId}/attributes/{bucket}", () => {
  it("PUT merges (204), GET answers { result }, and the graph sees the same", async () => {
    expect((await call("PUT", "end_user_read_write", { theme: "dark", lang: "en" })).status).toBe(204);
    expect((await call("PUT", "end_user_read_write", { theme: "light" })).status).toBe(204);
    const got = await call("GET", "end_user_read_write");
    expect(await got.json()).toEqual({ result: { theme: "light", lang: "en" } });
    await tenant.ok(`mutation($id: ID!) { setAttributes(personId: $id, bucket: "end_user_read_write", attributes: { fromGraph: true }) { id } }`, { id: personId });
    expect(((await (await call("GET", "end_user_read_write")).json()) as { result: unknown }).result).toEqual({ theme: "light", lang: "en", fromGraph: true });
  });

  it("answers its envelope: 400 for a key over 70 bytes or a 65 KiB value, 404 for an unknown bucket or person", async () => {
    for (const [body, status] of [[{ ["k".repeat(71)]: 1 }, 400], [{ big: "x".repeat(65 * 1024) }, 400], ["{", 400]] as const) {
      const response = await call("PUT", "end_user_read_write", body);
      expect(response.status).toBe(status);
      expect((await envelope(response)).errors[0]!.httpcode).toBe(status);
    }
    expect((await call("PUT", "no_such_bucket", { a: 1 })).status).toBe(404);
    expect((await call("GET", "end_user_read_write", undefined, {}, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("another workspace's SlashID-OrgID is 403 (not 404), and so is a bucket the key may not use; 401 without a key", async () => {
    const other = await h.workspace("Other org");
    const response = await call("GET", "end_user_read_write", undefined, { "slashid-orgid": other.workspaceId });
    expect(response.status).toBe(403);
    expect((await envelope(response)).errors[0]!.httpcode).toBe(403);
    const limited = await tenant.key(["WRITE"], ["default"]);
    expect((await call("PUT", "end_user_read_write", { a: 1 }, { authorization: `Bearer ${limited}` })).status).toBe(403);
    expect((await call("PUT", "secret-bucket", { a: 1 }, { authorization: `Bearer ${limited}` })).status).toBe(403);
    expect((await call("GET", "end_user_read_write", undefined, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await call("PUT", "end_user_read_write", { a: 1 }, { authorization: `Bearer ${await tenant.key(["READ"])}` })).status).toBe(403);
  });
});
