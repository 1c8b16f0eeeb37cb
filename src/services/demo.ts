import { inTransaction } from "../db/transaction.js";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Caller } from "../auth/api-key.js";
import { scopeToWorkspace } from "../auth/tenant-scope.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { defineCustomField } from "./custom-field.js";
import { enrollParticipant } from "./participant.js";
import { createWorkspace } from "./workspace.js";

export const DEMO_PROGRAM_KEY = "summer-camp";

const PEOPLE = [
  { externalId: "crm-1001", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", tshirt: "M", diet: ["vegetarian"], arrival: "2026-07-01" },
  { externalId: "crm-1002", firstName: "Grace", lastName: "Hopper", email: "grace@example.com", tshirt: "L", diet: [], arrival: "2026-07-02" },
  { externalId: "crm-1003", firstName: "Alan", lastName: "Turing", email: "alan@example.com", tshirt: "M", diet: ["vegan", "gluten-free"], arrival: "2026-07-01" },
  { externalId: "crm-1004", firstName: "Katherine", lastName: "Johnson", email: "katherine@example.com", tshirt: "S", diet: [], arrival: "2026-07-03" },
  { externalId: "crm-1005", firstName: "Edsger", lastName: "Dijkstra", email: "edsger@example.com", tshirt: "XL", diet: ["vegetarian"], arrival: "2026-07-02" },
];

/**
 * On a first start with an empty database: a demo workspace, a program with custom fields and a
 * few participants. The demo key is kept in `keyDir` (the embedded database's folder) so that
 * later starts can show it.
 * Returns the demo key, or undefined when the database already had data from elsewhere.
 */
export async function ensureDemo(prisma: PrismaClient, keyDir: string): Promise<string | undefined> {
  const keyFile = join(keyDir, "demo-api-key");
  if ((await prisma.workspace.count()) > 0) {
    return existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined;
  }
  const { workspace, apiKey, secret } = await createWorkspace(prisma, "Demo workspace");
  const db = scopeToWorkspace(prisma, workspace.id);
  const caller: Caller = { workspaceId: workspace.id, apiKeyId: apiKey.id, scopes: new Set(["read", "write", "admin"]), buckets: null, source: "cli" };
  const program = await inTransaction(db, caller, (tx) => tx.program.create({ data: { workspaceId: workspace.id, key: DEMO_PROGRAM_KEY, name: "Summer Camp 2026" } }));
  const sizes = ["S", "M", "L", "XL"].map((s) => ({ value: s, label: s === "XL" ? "Extra large" : { S: "Small", M: "Medium", L: "Large" }[s]! }));
  await defineCustomField(db, caller, { programId: program.id }, { key: "tshirtSize", label: "T-shirt size", type: "SELECT", options: sizes, required: false });
  await defineCustomField(db, caller, { programId: program.id }, {
    key: "dietary",
    label: "Dietary needs",
    type: "MULTI_SELECT",
    options: [
      { value: "vegetarian", label: "Vegetarian" },
      { value: "vegan", label: "Vegan" },
      { value: "gluten-free", label: "Gluten-free" },
    ],
  });
  await defineCustomField(db, caller, { programId: program.id }, { key: "arrivalDate", label: "Arrival date", type: "DATE" });
  for (const p of PEOPLE) {
    await enrollParticipant(db, caller, {
      programKey: DEMO_PROGRAM_KEY,
      person: { externalId: p.externalId, firstName: p.firstName, lastName: p.lastName, email: p.email },
      tags: ["demo"],
      customFields: [
        { key: "tshirtSize", value: p.tshirt },
        { key: "dietary", value: p.diet },
        { key: "arrivalDate", value: p.arrival },
      ],
    });
  }
  mkdirSync(keyDir, { recursive: true });
  writeFileSync(keyFile, secret + "\n", { mode: 0o600 });
  return secret;
}
