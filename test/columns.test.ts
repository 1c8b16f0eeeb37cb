import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDatamodel } from "../src/generated/pothos-types.js";
import { columnOf, fieldsOf } from "../src/stores/columns.js";
import { openTestDatabase } from "./support/harness.js";
import type { Database } from "../src/db/client.js";

// The stores name columns by their Prisma fields (stores/columns.ts); the database's catalogue
// is the judge that the names are right for every model.
let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

const TABLES: Record<string, string> = {
  Workspace: "workspace",
  ApiKey: "api_key",
  Person: "person",
  AttributeBucket: "attribute_bucket",
  PersonAttribute: "person_attribute",
  PersonIdentity: "person_identity",
  PersonFieldValue: "person_field_value",
  Program: "program",
  CustomFieldDefinition: "custom_field_definition",
  CustomFieldValue: "custom_field_value",
  Participant: "participant",
  LedgerEntry: "ledger_entry",
  LedgerTotal: "ledger_total",
  ParticipantTier: "participant_tier",
  WebhookEndpoint: "webhook_endpoint",
  WebhookDelivery: "webhook_delivery",
};

describe("column names", () => {
  it("covers every model", () => {
    expect(Object.keys(getDatamodel().datamodel.models).sort()).toEqual(Object.keys(TABLES).sort());
  });

  it.each(Object.entries(TABLES))("%s: every scalar field is a column of %s", async (model, table) => {
    const columns = await db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
      [table],
    );
    expect(fieldsOf(model).map(columnOf).sort()).toEqual(columns.map((c) => c.column_name).sort());
  });
});
