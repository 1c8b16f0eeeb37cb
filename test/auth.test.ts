import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codes, createHarness, request, type Harness, type Tenant } from "./support/harness.js";

let h: Harness;
let tenant: Tenant;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Auth");
});
afterAll(() => h.close());

const VIEWER = `{ viewer { workspace { id name } apiKey { name scopes } } }`;

describe("API keys", () => {
  it("answers viewer with a Bearer key and with X-API-Key", async () => {
    const bearer = await request(h.app, VIEWER, {}, { authorization: `Bearer ${tenant.adminKey}` });
    const header = await request(h.app, VIEWER, {}, { "x-api-key": tenant.adminKey });
    for (const response of [bearer, header]) {
      expect(response.status).toBe(200);
      expect(response.data?.viewer.workspace).toEqual({ id: tenant.workspaceId, name: "Auth" });
      expect(response.data?.viewer.apiKey.scopes).toEqual(["READ", "WRITE", "ADMIN"]);
    }
  });

  it("refuses a request without a key, with an unknown key, or with a malformed header: 401 UNAUTHENTICATED", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer pgk_not-a-real-key" },
      { authorization: `Basic ${tenant.adminKey}` },
      { "x-api-key": "" },
    ];
    for (const headers of attempts) {
      const response = await request(h.app, VIEWER, {}, headers);
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(["UNAUTHENTICATED"]);
      expect(response.data ?? null).toBeNull();
    }
  });

  it("stores only a hash of the secret", async () => {
    const rows = await h.db.prisma.apiKey.findMany({ where: { workspaceId: tenant.workspaceId } });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(tenant.adminKey);
    }
  });

  it("a revoked key stops working on the next request", async () => {
    const secret = await tenant.key(["READ"]);
    const before = await tenant.gql(VIEWER, {}, secret);
    expect(before.status).toBe(200);
    const id = before.data!.viewer.apiKey && (await tenant.ok(`{ viewer { apiKey { id } } }`, {}, secret)).viewer.apiKey.id;
    const revoked = await tenant.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id });
    expect(revoked.revokeApiKey.revokedAt).not.toBeNull();
    const after = await tenant.gql(VIEWER, {}, secret);
    expect(after.status).toBe(401);
    expect(codes(after)).toEqual(["UNAUTHENTICATED"]);
  });

  it("enforces scopes: read cannot write, write cannot administer", async () => {
    const reader = await tenant.key(["READ"]);
    const writer = await tenant.key(["WRITE"]);
    const createProgram = `mutation { createProgram(input: { key: "p-${Date.now()}", name: "P" }) { id } }`;
    const denied = await tenant.gql(createProgram, {}, reader);
    expect(codes(denied)).toEqual(["FORBIDDEN"]);
    expect(await h.db.prisma.program.count({ where: { workspaceId: tenant.workspaceId } })).toBe(0);

    const allowed = await tenant.gql(createProgram, {}, writer);
    expect(allowed.errors).toBeUndefined();

    const createKey = `mutation { createApiKey(input: { name: "x", scopes: [READ] }) { secret } }`;
    expect(codes(await tenant.gql(createKey, {}, writer))).toEqual(["FORBIDDEN"]);
    expect(codes(await tenant.gql(`mutation { createAttributeBucket(name: "x") { name } }`, {}, writer))).toEqual(["FORBIDDEN"]);
    // A write key implies read.
    expect((await tenant.gql(VIEWER, {}, writer)).data?.viewer.apiKey.scopes).toEqual(["READ", "WRITE"]);
  });

  it("shows a created key's secret once, and it works at once", async () => {
    const created = await tenant.ok(
      `mutation { createApiKey(input: { name: "ci", scopes: [WRITE], buckets: ["default"] }) { secret apiKey { id name scopes buckets } } }`,
    );
    expect(created.createApiKey.secret).toMatch(/^pgk_[A-Za-z0-9_-]{43}$/);
    expect(created.createApiKey.apiKey).toMatchObject({ name: "ci", scopes: ["READ", "WRITE"], buckets: ["default"] });
    const viewer = await tenant.ok(`{ viewer { apiKey { id } } }`, {}, created.createApiKey.secret);
    expect(viewer.viewer.apiKey.id).toBe(created.createApiKey.apiKey.id);
  });
});

describe("errors", () => {
  it("masks unexpected errors and answers with a request id", async () => {
    const response = await request(h.app, VIEWER, {}, { authorization: `Bearer ${tenant.adminKey}`, "x-request-id": "req-123" });
    expect(response.headers.get("x-request-id")).toBe("req-123");
    const fresh = await request(h.app, VIEWER, {}, { authorization: `Bearer ${tenant.adminKey}` });
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
