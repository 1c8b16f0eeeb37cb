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

describe("whole rows read by the stores", () => {
  it("a person read by its store equals Prisma's row of it, field for field", async () => {
    const { createWorkspace } = await import("../src/services/workspace.js");
    const { personStore } = await import("../src/stores/person-store.js");
    const { workspace } = await createWorkspace(db.prisma, "Rows");
    const full = await db.prisma.person.create({
      data: {
        workspaceId: workspace.id, externalId: "row-1", email: "ada@example.com", phone: "+4420", firstName: "Ada", lastName: "Lovelace",
        displayName: "Ada L.", avatarUrl: "https://example.com/a.png", timezone: "Europe/London", locale: "en-GB", type: "USER",
        title: "Countess", company: "Analytical", location: { city: "London", country: "GB" }, status: "SUSPENDED", statusReason: "because",
        statusChangedAt: new Date("2026-01-02T03:04:05.678Z"), tags: ["a", "b,c", "d\"e"], firstSeenAt: new Date("2025-01-01T00:00:00.001Z"),
        lastSeenAt: new Date("2026-05-06T07:08:09.010Z"), gender: "FEMALE", score: 42, role: "admin", accountId: "acc-1",
        signedUpAt: new Date("2024-02-29T12:00:00.000Z"), consent: { email: true, sms: false }, inferredLocation: { lat: 51.5, nested: [1, "x", null] },
      },
    });
    const bare = await db.prisma.person.create({ data: { workspaceId: workspace.id } });
    const store = personStore(db, workspace.id);
    for (const person of [full, bare]) {
      const prisma = await db.prisma.person.findUniqueOrThrow({ where: { id: person.id } });
      expect(await store.byIds([person.id])).toEqual([prisma]);
    }
    expect(await store.byExternalIds(["row-1"])).toEqual([await db.prisma.person.findUniqueOrThrow({ where: { id: full.id } })]);
    // Another workspace's id reads nothing.
    const other = await createWorkspace(db.prisma, "Other");
    expect(await personStore(db, other.workspace.id).byIds([full.id])).toEqual([]);
  });
});
