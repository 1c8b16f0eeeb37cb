import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PROJECT_ROOT } from "../paths.js";
import { migrate, readMigrations } from "./migrate.js";
import { pgliteDriver } from "./pglite-driver.js";

// Creating a PostgreSQL cluster (initdb) inside PGlite's WebAssembly takes some 850 MB of memory
// and three seconds; loading a freshly created, empty cluster from a dump takes under half of
// that memory and one second. Unpacking a dump happens inside the WebAssembly memory too (some
// 150 MB that stay), so a new data folder is instead copied from a migrated cluster kept as
// files; dumps remain for in-memory databases. All are made at install, for the installed
// PGlite; the migrated ones only serve the migrations they were made from.
const modules = join(PROJECT_ROOT, "node_modules");
const { version } = JSON.parse(readFileSync(join(modules, "@electric-sql/pglite/package.json"), "utf8")) as { version: string };
const cache = join(modules, ".cache/participant-graph");
const EMPTY = join(cache, `pglite-${version}-empty.tgz`);

/** The migrated cluster's folder; its dump is the same name with `.tgz`. Named by the migrations, read once. */
let migratedName: string | undefined;
function migratedTemplate(): string {
  if (!migratedName) {
    const hash = createHash("sha256");
    for (const { name, checksum } of readMigrations()) hash.update(`${name}:${checksum}\n`);
    migratedName = join(cache, `pglite-${version}-migrated-${hash.digest("hex").slice(0, 16)}`);
  }
  return migratedName;
}

async function dump(pglite: PGlite, file: string): Promise<void> {
  const archive = await pglite.dumpDataDir("gzip");
  await pglite.close();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, Buffer.from(await archive.arrayBuffer()));
  renameSync(`${file}.tmp`, file);
}

/** Writes the empty and the migrated cluster's dumps, unless they are there already. */
export async function writePgliteTemplates(): Promise<void> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (!existsSync(EMPTY)) await dump(await PGlite.create(), EMPTY);
  const migrated = migratedTemplate();
  if (!existsSync(migrated) || !existsSync(`${migrated}.tgz`)) {
    const folder = `${migrated}.${process.pid}.tmp`;
    const pglite = await PGlite.create({ dataDir: folder, loadDataDir: new Blob([readFileSync(EMPTY)]) });
    await migrate(pgliteDriver(pglite));
    await dump(pglite, `${migrated}.tgz`);
    rmSync(migrated, { recursive: true, force: true });
    renameSync(folder, migrated);
  }
}

/**
 * How a data folder (or an in-memory database) starts when it holds no cluster yet: a new
 * folder is filled with the migrated cluster's files, when there are some for these migrations,
 * and then opens like any existing one (undefined); otherwise the dump to load, if there is one.
 * A folder that holds a cluster opens as it is (undefined).
 */
export function newCluster(dataDir: string, { migrated = true } = {}): Blob | undefined {
  const memory = dataDir.startsWith("memory://");
  // PG_VERSION marks a cluster: a folder without it (new, or holding only our lock) has none yet.
  if (!memory && existsSync(join(dataDir, "PG_VERSION"))) return undefined;
  const folder = migrated ? migratedTemplate() : undefined;
  if (folder && !memory && existsSync(folder)) {
    cpSync(folder, dataDir, { recursive: true });
    return undefined;
  }
  const dumpFile = [folder && `${folder}.tgz`, EMPTY].find((file) => file && existsSync(file));
  return dumpFile ? new Blob([readFileSync(dumpFile)]) : undefined;
}
