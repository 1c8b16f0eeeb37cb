import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

// Creating a PostgreSQL cluster (initdb) inside PGlite's WebAssembly takes some 850 MB of memory
// and three seconds; loading a freshly created, empty cluster from a dump takes under half of
// that memory and one second. The dump is made once, at install, for the installed PGlite.
const modules = join(dirname(fileURLToPath(import.meta.url)), "../../node_modules");
const { version } = JSON.parse(readFileSync(join(modules, "@electric-sql/pglite/package.json"), "utf8")) as { version: string };
const TEMPLATE = join(modules, ".cache/participant-graph", `pglite-${version}-empty.tgz`);

/** Writes the empty cluster's dump, unless it is there already. */
export async function writePgliteTemplate(): Promise<string> {
  if (existsSync(TEMPLATE)) return TEMPLATE;
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir("gzip");
  await pglite.close();
  mkdirSync(dirname(TEMPLATE), { recursive: true });
  writeFileSync(TEMPLATE, Buffer.from(await dump.arrayBuffer()));
  return TEMPLATE;
}

/** The empty cluster to start a new data folder (or an in-memory database) from, if there is one. */
export function pgliteTemplateFor(dataDir: string): Blob | undefined {
  // PG_VERSION marks a cluster: a folder without it (new, or holding only our lock) has none yet.
  const fresh = dataDir.startsWith("memory://") || !existsSync(join(dataDir, "PG_VERSION"));
  return fresh && existsSync(TEMPLATE) ? new Blob([readFileSync(TEMPLATE)]) : undefined;
}
