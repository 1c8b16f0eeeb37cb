import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { codes, createHarness, databaseKind, type Harness, type Tenant } from "./support/harness.js";
import { freshPostgresDatabase } from "./support/postgres.js";

let h: Harness;
let tenant: Tenant;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Keys");
});
afterAll(() => h.close());

const KEYS = `query($all: Boolean) { apiKeys(includeRevoked: $all) { id name scopes buckets revokedAt } }`;

describe("apiKeys", () => {
  it("lists the workspace's keys for admins, revoked ones when asked, never a secret", async () => {
    const reader = await tenant.key(["READ"], ["default"]);
    const { createApiKey } = await tenant.ok(`mutation { createApiKey(input: { name: "gone", scopes: [WRITE] }) { apiKey { id } } }`);
    await tenant.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: createApiKey.apiKey.id });
    const active = (await tenant.ok(KEYS)).apiKeys;
    expect(active.map((k: { name: string }) => k.name)).toContain("key READ");
    expect(active.map((k: { id: string }) => k.id)).not.toContain(createApiKey.apiKey.id);
    const all = (await tenant.ok(KEYS, { all: true })).apiKeys;
    expect(all.find((k: { id: string }) => k.id === createApiKey.apiKey.id).revokedAt).not.toBeNull();
    expect(codes(await tenant.gql(KEYS, {}, reader))).toEqual(["FORBIDDEN"]);
    // The type has no field for a secret or its hash: introspection says so.
    const { __type } = await tenant.ok(`{ __type(name: "ApiKey") { fields { name } } }`);
    expect(__type.fields.map((f: { name: string }) => f.name).filter((n: string) => /secret|hash/i.test(n))).toEqual([]);
  });
});

describe("rotateApiKey", () => {
  it("issues a new secret with the same name, scopes and buckets; the old one fails from the next request", async () => {
    const old = await tenant.key(["WRITE"], ["default"]);
    const { viewer } = await tenant.ok(`{ viewer { apiKey { id } } }`, {}, old);
    const { rotateApiKey } = await tenant.ok(`mutation($id: ID!) { rotateApiKey(id: $id) { secret apiKey { id name scopes buckets } } }`, { id: viewer.apiKey.id });
    expect(rotateApiKey.apiKey).toMatchObject({ name: "key WRITE", scopes: ["READ", "WRITE"], buckets: ["default"] });
    expect(rotateApiKey.apiKey.id).not.toBe(viewer.apiKey.id);
    const after = await tenant.gql(`{ viewer { apiKey { id } } }`, {}, old);
    expect(after.status).toBe(401);
    expect(codes(after)).toEqual(["UNAUTHENTICATED"]);
    expect((await tenant.ok(`{ viewer { apiKey { id } } }`, {}, rotateApiKey.secret)).viewer.apiKey.id).toBe(rotateApiKey.apiKey.id);
    // A rotated key is gone: rotating it again is NOT_FOUND.
    expect(codes(await tenant.gql(`mutation($id: ID!) { rotateApiKey(id: $id) { secret } }`, { id: viewer.apiKey.id }))).toEqual(["NOT_FOUND"]);
  });

  it("a bucket-restricted admin cannot rotate a key broader than itself", async () => {
    const broad = (await tenant.ok(`mutation { createApiKey(input: { name: "broad", scopes: [READ] }) { apiKey { id } } }`)).createApiKey.apiKey.id;
    const restricted = await tenant.key(["ADMIN"], ["default"]);
    expect(codes(await tenant.gql(`mutation($id: ID!) { rotateApiKey(id: $id) { secret } }`, { id: broad }, restricted))).toEqual(["FORBIDDEN"]);
  });
});

describe("the command line", () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    if (databaseKind === "postgres") {
      const { url, drop } = await freshPostgresDatabase(process.env.DATABASE_URL!);
      env = { DATABASE_URL: url };
      cleanup = drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), "pg-cli-"));
      env = { DATABASE_URL: "", DATA_DIR: dir };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(() => cleanup());

  it("lists workspaces and keys, and revokes a key", async () => {
    const created = JSON.parse((await runCli(["workspace", "create", "Listed", "--json"], env)).stdout);
    const workspaces = JSON.parse((await runCli(["workspace", "list", "--json"], env)).stdout);
    expect(workspaces.map((w: { id: string }) => w.id)).toContain(created.workspaceId);
    const keys = JSON.parse((await runCli(["apikey", "list", "--workspace", created.workspaceId, "--json"], env)).stdout);
    expect(keys).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toMatch(/secret|hash|pgk_/i);
    const revoked = await runCli(["apikey", "revoke", keys[0].id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse((await runCli(["apikey", "list", "--workspace", created.workspaceId, "--json"], env)).stdout)).toEqual([]);
    expect(JSON.parse((await runCli(["apikey", "list", "--workspace", created.workspaceId, "--all", "--json"], env)).stdout)[0].revokedAt).not.toBeNull();
  });

  it("exits non-zero with no command or an unknown one, zero for --help", async () => {
    expect((await runCli([], env)).code).toBe(2);
    expect((await runCli(["frobnicate"], env)).code).toBe(2);
    expect((await runCli(["--help"], env)).code).toBe(0);
  });
});
