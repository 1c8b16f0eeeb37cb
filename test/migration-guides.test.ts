import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.js";

// Every request in docs/migrating/*.md runs, in order, in a fresh workspace: the guides stay true.
const DIR = new URL("../docs/migrating/", import.meta.url);
const GUIDES = readdirSync(DIR).filter((f) => f.endsWith(".md")).sort();
const SEEDS = ["flameup.md", "gainsight.md", "scrip.md", "shocklogic.md", "slashid.md"];

interface Example {
  query: string;
  variables: Record<string, unknown>;
}

/** Each ```graphql block, with the ```json block right after it as its variables. */
function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const block = /```graphql\n([\s\S]*?)```(?:\s*```json\n([\s\S]*?)```)?/g;
  for (const match of markdown.matchAll(block)) found.push({ query: match[1]!, variables: match[2] ? JSON.parse(match[2]) : {} });
  return found;
}

type Data = Record<string, any>;
const PROMISES: Record<string, (last: Data, all: Data[]) => void> = {
  "scrip.md": (last) =>
    expect(last.participant).toMatchObject({
      externalId: "user_123",
      displayName: null,
      status: "SUSPENDED",
      tags: ["vip"],
      attributes: { plan: "premium", region: "us-east" },
      balances: [{ asset: "points", bucket: "AVAILABLE", amount: "1500" }],
      counters: [{ name: "purchases", value: "42" }],
      tiers: [{ tierType: "loyalty", level: "gold", rank: 2 }],
    }),
  "shocklogic.md": (last, all) => {
    expect(last.deleteParticipant.deletedId).toBeTruthy();
    expect(all.at(-2)!.participant).toMatchObject({
      person: { company: "Tech Solutions", customField: { value: "vip", displayValue: "VIP" } },
      financials: [{ currency: "EUR", totalPaid: "150.00" }],
      customFields: [
        { key: "T_Shirt_Size", value: "M" },
        { key: "Dietary_Requirements", value: "Vegetarian" },
        { key: "Transport_Required", value: true, displayValue: "Yes" },
      ],
    });
  },
  "slashid.md": (last, all) => {
    expect(all.find((d) => d.person)!.person.attributes).toEqual({ newsletter: { weekly: true }, language: "en" });
    expect(last.createApiKey.apiKey.buckets).toEqual(["end_user_read_write"]);
  },
  "flameup.md": (last) =>
    expect(last.person).toMatchObject({ attributes: { plan: "growth", seats: 12 }, firstSeenAt: "2026-01-15T10:00:00.000Z", lastSeenAt: "2026-01-15T10:00:00.000Z", timezone: "Europe/Paris" }),
  "gainsight.md": (last, all) => {
    expect(all.find((d) => d.updatePerson)!.updatePerson).toMatchObject({
      gender: "MALE",
      signedUpAt: "2023-11-14T22:13:20.000Z",
      consent: { globalUnsubscribe: true },
      location: { countryCode: "US", continent: "NA", postalCode: "94010", latitude: 37.567147 },
      inferredLocation: { countryCode: "US" },
      customFields: [{ key: "plan_tier", value: "ent", displayValue: "Enterprise" }],
    });
    expect(last.person).toMatchObject({ externalId: "user-42", attributes: { propertyKeys: ["AP-XXXXXXXXXX-2"] } });
  },
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("migration guides", () => {
  it("there is one for each seed", () => {
    expect(GUIDES).toEqual(SEEDS);
  });

  it.each(GUIDES)("%s: every example runs without an error", async (guide) => {
    const markdown = readFileSync(new URL(guide, DIR), "utf8");
    expect(markdown).toMatch(/\n\|[^\n]+\|\n\|---/);
    const tenant = await h.workspace(guide);
    const list = examples(markdown);
    const responses: unknown[] = [];
    expect(list.length).toBeGreaterThan(2);
    for (const { query, variables } of list) {
      // "$program(key)" in a guide's variables stands for that program's id.
      const resolved = JSON.parse(
        await replaceAsync(JSON.stringify(variables), /"\$program\(([^)]+)\)"/g, async (key) =>
          JSON.stringify((await tenant.ok(`query($k: String) { program(key: $k) { id } }`, { k: key })).program.id),
        ),
      );
      const response = await tenant.gql(query, resolved);
      expect(response.errors, `${guide}: ${query.slice(0, 80)}`).toBeUndefined();
      responses.push(response.data);
    }
    // What each guide's table promises, checked on what its examples returned.
    PROMISES[guide]!(responses.at(-1) as never, responses as never);
  });
});

async function replaceAsync(text: string, pattern: RegExp, replace: (group: string) => Promise<string>): Promise<string> {
  let out = text;
  for (const match of text.matchAll(pattern)) out = out.replace(match[0], await replace(match[1]!));
  return out;
}
