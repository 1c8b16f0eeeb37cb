#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between `npm install` and use.
import { register } from "tsx/esm/api";

// Production unless told otherwise: in development mode graphql-js checks every type test for a
// second copy of itself, which costs several per cent of a large page's time.
process.env.NODE_ENV ??= "production";
register();
await import("../src/cli.ts");
