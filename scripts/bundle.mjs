// The command line runs a bundle of the TypeScript sources, built by esbuild: nothing compiles
// TypeScript inside the running server (a loader doing so held some 90 MB). It is built at
// install and again whenever a source file is newer than it, so an edited checkout never runs
// stale code. Dependencies stay in node_modules, imported as they are.
import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
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
  // Written aside and renamed: processes starting together never import a half-written file.
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(sources, "cli.ts")],
    outfile: temporary,
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
  renameSync(temporary, BUNDLE);
}

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
