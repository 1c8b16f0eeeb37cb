import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.js";
import { migrate, readMigrations } from "../src/db/migrate.js";
import { loadConfig } from "../src/config.js";

const folder = mkdtempSync(join(tmpdir(), "embedded-start-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

it("starts a new data folder from the install's migrated cluster, with a small page cache", async () => {
  const db = await openDatabase(loadConfig({ DATA_DIR: join(folder, "data") }).database);
  try {
    // Copied, not created and migrated: nothing is left to apply, and every migration is recorded.
    expect(await migrate(db.driver)).toEqual([]);
    const applied = await db.query<{ name: string }>(`SELECT migration_name AS name FROM _prisma_migrations ORDER BY 1`, []);
    expect(applied.map((m) => m.name)).toEqual(readMigrations().map((m) => m.name));
    expect(await db.query(`SHOW shared_buffers`, [])).toEqual([{ shared_buffers: "32MB" }]);
  } finally {
    await db.close();
  }
  // The copy is the folder's own: it opens again as it was left.
  const again = await openDatabase({ kind: "pglite", dataDir: join(folder, "data"), sharedBuffers: "16MB" });
  try {
    expect(await again.query(`SHOW shared_buffers`, [])).toEqual([{ shared_buffers: "16MB" }]);
    expect(await migrate(again.driver)).toEqual([]);
  } finally {
    await again.close();
  }
});

it("refuses a page cache size PostgreSQL would not read", () => {
  expect(() => loadConfig({ EMBEDDED_SHARED_BUFFERS: "lots" })).toThrow(/EMBEDDED_SHARED_BUFFERS/);
});
