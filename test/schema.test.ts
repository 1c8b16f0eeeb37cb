import { existsSync, readFileSync } from "node:fs";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printSchema } from "../src/schema/index.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

const root = new URL("../", import.meta.url);
const committed = readFileSync(new URL("schema.graphql", root), "utf8");

// The public contract, kept in docs/; where the product's shared folder sits beside the
// repository, the copy must be identical to it.
const contract = readFileSync(new URL("docs/contract.graphql", root), "utf8");
const upstream = new URL("../shared/contract.graphql", root);

/** Parses subgraph SDL as a plain schema: the federation `extend schema @link` is not GraphQL core. */
function parse(sdl: string) {
  return buildSchema(sdl.replace(/^extend schema[\s\S]*?\n\n/m, ""), { assumeValidSDL: true });
}

describe("schema.graphql", () => {
  it("is the printed schema (run `npm run print-schema` after changing it)", () => {
    expect(committed).toBe(printSchema());
  });

  it("contains the whole public contract, unchanged", async () => {
    if (existsSync(upstream)) expect(contract).toBe(readFileSync(upstream, "utf8"));
    const changes = await diff(parse(contract), parse(committed));
    const problems = changes.filter(
      (c) =>
        c.criticality.level === CriticalityLevel.Breaking ||
        (c.criticality.level === CriticalityLevel.Dangerous && !/^Directive 'key' was added/.test(c.message)),
    );
    expect(problems.map((c) => c.message)).toEqual([]);
  });
});

describe("federation", () => {
  let h: Harness;
  let tenant: Tenant;
  beforeAll(async () => {
    h = await createHarness();
    tenant = await h.workspace();
  });
  afterAll(() => h.close());

  it("serves its SDL through _service with the entity keys", async () => {
    const { _service } = await tenant.ok(`{ _service { sdl } }`);
    expect(_service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2');
    expect(_service.sdl).toMatch(/type Person implements Node\s+@key\(fields: "id"\)\s+@key\(fields: "externalId"\)/);
    expect(_service.sdl).toMatch(/type Participant implements Node\s+@key\(fields: "id"\)/);
    expect(_service.sdl).toMatch(/type Program implements Node\s+@key\(fields: "id"\)/);
  });
});
