// Run at install: dumps an empty PGlite cluster and one with every migration applied, from which
// the embedded database's first start and every in-memory test database begin (see
// src/db/pglite-template.ts).
import { writePgliteTemplates } from "../src/db/pglite-template.js";

await writePgliteTemplates();
