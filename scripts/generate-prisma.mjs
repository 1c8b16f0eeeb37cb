// Generates the Prisma client and the Pothos Prisma types offline. `prisma generate` does not use
// the schema engine, but the CLI tries to download it unless told where one is; any executable
// satisfies that check, so we point it at Node itself.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { delimiter, resolve } from "node:path";

const require = createRequire(import.meta.url);
const prismaCli = require.resolve("prisma/build/index.js");
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  // The Pothos types generator is found through PATH, as under `npm run`.
  PATH: [resolve("node_modules/.bin"), process.env.PATH].join(delimiter),
  CHECKPOINT_DISABLE: "1",
};
const result = spawnSync(process.execPath, [prismaCli, "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
