// The command line runs a bundle of the TypeScript sources, built by esbuild: nothing compiles
// TypeScript inside the running server (a loader doing so held some 90 MB). It is built at
// install and again whenever a source file is newer than it, so an edited checkout never runs
// stale code. Dependencies stay in node_modules, imported as they are. What the sources import
// dynamically (the server, the import and export commands) becomes a chunk of its own, with the
// libraries only it uses: a process loads what its command needs.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const sources = join(root, "src");
// One level below the project, like src/: paths the sources take relative to their own file hold.
export const BUNDLE = join(root, "dist", "participant-graph.mjs");

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

async function build() {
  const { build } = await import("esbuild");
  // Written aside, then moved: processes starting together never import a half-written file.
  // Chunks are named by their content, so moving one over another changes nothing; the entry
  // moves last.
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  await build({
    entryPoints: { "participant-graph": join(sources, "cli.ts") },
    outdir: temporary,
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunk-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Not minified, so functions keep their names; with --enable-source-maps, stack traces show
    // the sources' lines.
    sourcemap: "inline",
    logLevel: "error",
  });
  const dist = join(BUNDLE, "..");
  mkdirSync(dist, { recursive: true });
  const files = readdirSync(temporary);
  for (const file of files.filter((f) => f !== "participant-graph.mjs")) renameSync(join(temporary, file), join(dist, file));
  renameSync(join(temporary, "participant-graph.mjs"), BUNDLE);
  rmSync(temporary, { recursive: true, force: true });
  // Chunks of earlier builds go once no process started then can still be loading them.
  for (const file of readdirSync(dist)) {
    const path = join(dist, file);
    if (/^chunk-.*\.mjs$/.test(file) && !files.includes(file) && Date.now() - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
}

const STALE_CHUNK_MS = 24 * 60 * 60 * 1000;

/** The bundle's URL, built first if a source is newer; undefined when it cannot be built here. */
export async function bundled() {
  try {
    if (!existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < newest(sources)) await build();
    return pathToFileURL(BUNDLE).href;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(await bundled())) {
    console.error("could not bundle src/cli.ts; the command line will run the sources through tsx");
  }
}
