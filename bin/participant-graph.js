#!/usr/bin/env -S node --max-semi-space-size=32 --heap-growing-percent=25
// The command line and server. The Node option above is part of the product: see README,
// "Performance". Run through `node bin/participant-graph.js`, the first line is skipped.
import { bundled } from "../scripts/bundle.mjs";

// Production unless told otherwise: in development mode graphql-js checks every type test for a
// second copy of itself, which costs several per cent of a large page's time.
process.env.NODE_ENV ??= "production";

const bundle = await bundled();
if (bundle) {
  await import(bundle);
} else {
  // Where the bundle cannot be written (a read-only install), the sources run through tsx.
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
