// Run at install: dumps an empty PGlite cluster, from which the embedded database's first start
// and every in-memory test database begin (see src/db/pglite-template.ts).
import { writePgliteTemplate } from "../src/db/pglite-template.js";

await writePgliteTemplate();
