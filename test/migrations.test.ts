import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDatamodel } from "../src/generated/pothos-types.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate, MigrationChecksumError, readMigrations } from "../src/db/migrate.js";
import { databaseKind } from "./support/harness.js";
import { freshPostgresDatabase } from "./support/postgres.js";

/** A migrated-from-nothing database of the kind the suite runs on, and a second handle on it. */
async function emptyDatabases(): Promise<{ first: Database; second?: Database; cleanup: () => Promise<void> }> {
  if (databaseKind === "pglite") {
    const first = await openDatabase({ kind: "pglite", dataDir: "memory://", fromMigratedTemplate: false });
    return { first, cleanup: () => first.close() };
  }
  const { url, drop } = await freshPostgresDatabase(process.env.DATABASE_URL!);
  const first = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  const second = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  return {
    first,
    second,
    cleanup: async () => {
      await first.close();
      await second.close();
      await drop();
    },
  };
}

let db: { first: Database; second?: Database; cleanup: () => Promise<void> };
let appliedByRace: string[][];

beforeAll(async () => {
  db = await emptyDatabases();
  // Two servers starting at once: the advisory lock lets exactly one apply each migration.
  appliedByRace = await Promise.all([migrate(db.first.driver), migrate((db.second ?? db.first).driver)]);
});
afterAll(() => db.cleanup());

async function query(sql: string, params: unknown[] = []) {
  return db.first.driver.transaction((s) => s.query(sql, params));
}

describe("migrations", () => {
  it("applies every migration exactly once, even when two runners race", async () => {
    const names = readMigrations().map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(appliedByRace.flat().sort()).toEqual(names.sort());
    expect(await migrate(db.first.driver)).toEqual([]);
  });

  it("records them as prisma migrate deploy does", async () => {
    const rows = await query(
      `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    const migrations = readMigrations();
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    rows.forEach((row, i) => {
      expect(row.checksum).toBe(migrations[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    });
  });

  it("refuses to run when an applied migration was edited", async () => {
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    await expect(migrate(db.first.driver, edited)).rejects.toBeInstanceOf(MigrationChecksumError);
  });

  it("rolls back a failing migration completely", async () => {
    const broken = [...readMigrations(), { name: "99999999999999_broken", sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;", checksum: "1".repeat(64) }];
    await expect(migrate(db.first.driver, broken)).rejects.toThrow();
    expect(await query(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    expect(await query(`SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name LIKE '%broken'`)).toEqual([{ n: 0 }]);
  });

  it("produces a database that matches every model and field of the Prisma data model", async () => {
    const runtime = (db.first.prisma as unknown as {
      _runtimeDataModel: { models: Record<string, { dbName: string | null; fields: { name: string; dbName?: string | null }[] }> };
    })._runtimeDataModel;
    const columns = await query(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const column = (table: string, name: string) => columns.find((c) => c.table_name === table && c.column_name === name);
    const expectedType: Record<string, string[]> = {
      String: ["uuid", "character varying", "text", "character"],
      Int: ["integer"],
      Boolean: ["boolean"],
      DateTime: ["timestamp with time zone"],
      Json: ["jsonb"],
      Decimal: ["numeric"],
    };
    const { models } = getDatamodel().datamodel;
    let checked = 0;
    for (const [name, model] of Object.entries(models)) {
      const table = runtime.models[name]!.dbName ?? name;
      for (const field of model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum")) {
        const dbName = runtime.models[name]!.fields.find((f) => f.name === field.name)?.dbName ?? field.name;
        const found = column(table, dbName);
        expect(found, `${name}.${field.name} → ${table}.${dbName}`).toBeDefined();
        if (field.isList) expect(found!.data_type).toBe("ARRAY");
        else if (field.kind === "enum") expect(found!.udt_name).toBe(field.type);
        else expect(expectedType[field.type], `${name}.${field.name}`).toContain(found!.data_type);
        // Prisma creates list columns nullable whatever the model says; scalars must agree.
        if (!field.isList) expect(found!.is_nullable === "YES", `${name}.${field.name} nullability`).toBe(!field.isRequired);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  it("has the unique constraints the contract relies on", async () => {
    const indexes = await query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%'`);
    const defs = indexes.map((r) => String(r.indexdef));
    for (const expected of [
      /ON public\.person USING btree \(workspace_id, external_id\)/,
      /ON public\.program USING btree \(workspace_id, key\)/,
      /ON public\.participant USING btree \(program_id, serial_number\)/,
      /ON public\.participant USING btree \(program_id, external_id\)/,
      /ON public\.ledger_entry USING btree \(workspace_id, idempotency_key\)/,
      /ON public\.api_key USING btree \(secret_hash\)/,
    ]) {
      expect(defs.some((d) => expected.test(d)), String(expected)).toBe(true);
    }
  });
});
