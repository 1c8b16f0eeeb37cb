import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseKind } from "./harness.js";
import { freshPostgresDatabase } from "./postgres.js";

/** Environment for a server of the suite's kind, on a database of its own. */
export async function isolatedEnv(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (databaseKind === "postgres") {
    const { url, drop } = await freshPostgresDatabase(process.env.DATABASE_URL!);
    return { env: { DATABASE_URL: url }, cleanup: drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "participant-graph-"));
  return { env: { DATABASE_URL: "", DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

