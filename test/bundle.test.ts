import { statSync, utimesSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { BUNDLE, bundled } from "../scripts/bundle.mjs";
import { runCli } from "./support/cli.js";
import { isolatedEnv } from "./support/isolated.js";

it("rebuilds the command's bundle when a source is newer than it, and the command runs from it", async () => {
  await bundled();
  const before = statSync(BUNDLE).mtimeMs;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const source = fileURLToPath(new URL("../src/paths.ts", import.meta.url));
  const now = new Date();
  utimesSync(source, now, now);
  expect(await bundled()).toBe(`file://${BUNDLE}`);
  expect(statSync(BUNDLE).mtimeMs).toBeGreaterThan(before);
  // Up to date now: a second call leaves it as it is.
  const rebuilt = statSync(BUNDLE).mtimeMs;
  await bundled();
  expect(statSync(BUNDLE).mtimeMs).toBe(rebuilt);

  const { env, cleanup } = await isolatedEnv();
  try {
    const result = await runCli(["workspace", "create", "Bundled", "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("apiKey");
  } finally {
    await cleanup();
  }
});
