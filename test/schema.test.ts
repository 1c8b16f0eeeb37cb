import { existsSync, readFileSync } from "node:fs";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printClientSchema, printSchema } from "../src/schema/index.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";

const root = new URL("../", import.meta.url);
const committed = readFileSync(new URL("schema.graphql", root), "utf8");
const committedClient = readFileSync(new URL("schema.client.graphql", root), "utf8");

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

  it("schema.client.graphql is the printed client schema, without federation internals", () => {
    expect(committedClient).toBe(printClientSchema());
    expect(committedClient).not.toMatch(/_entities|_service|_Any|@link|@key|@shareable|extend schema/);
    // Everything else is there: the client schema is the subgraph schema less federation.
    expect(Object.keys(buildSchema(committedClient).getQueryType()!.getFields()).sort()).toEqual(
      Object.keys(parse(committed).getQueryType()!.getFields()).filter((f) => !f.startsWith("_")).sort(),
    );
  });

  it("contains the whole public contract, unchanged, but for the 0.2 parts not built yet", async () => {
    if (existsSync(upstream)) expect(contract).toBe(readFileSync(upstream, "utf8"));
    const changes = await diff(parse(contract), parse(committed));
    const problems = changes
      .filter(
        (c) =>
          c.criticality.level === CriticalityLevel.Breaking ||
          // Federation directives are the subgraph printer's, not the contract's; an optional
          // argument added to a field changes nothing for a caller who does not send it.
          (c.criticality.level === CriticalityLevel.Dangerous &&
            !/^Directive '(key|shareable)' was added/.test(c.message) &&
            !/^Argument '\w+: [^'!]+' added to field/.test(c.message)),
      )
      .map((c) => ({ path: c.path ?? (/subscription type/.test(c.message) ? "Subscription" : ""), message: c.message }));
    const unbuilt = (path: string) => NOT_BUILT_YET.some((part) => path === part || path.startsWith(`${part}.`));
    expect(problems.filter((p) => !unbuilt(p.path)).map((p) => p.message)).toEqual([]);
    // A part that is built leaves the list: an entry no difference needs any more is stale.
    expect(NOT_BUILT_YET.filter((part) => !problems.some((p) => p.path === part || p.path.startsWith(`${part}.`)))).toEqual([]);
  });
});

/**
 * The 0.2 contract (lines marked `# 0.2` in docs/contract.graphql) lands in parts; these are the
 * parts the schema does not have yet, by type or field. Each 0.2 change removed what it built: none is left.
 */
const NOT_BUILT_YET: string[] = [];

describe("federation", () => {
  let h: Harness;
  let tenant: Tenant;
  beforeAll(async () => {
    h = await createHarness();
    tenant = await h.workspace();
  });
  afterAll(() => h.close());

  it("introspection shows the client schema; _service still serves the subgraph SDL", async () => {
    const { __schema } = await tenant.ok(`{ __schema { queryType { fields { name } } types { name } directives { name } } }`);
    const fields = __schema.queryType.fields.map((f: { name: string }) => f.name);
    expect(fields).toContain("participants");
    expect(fields).not.toContain("_entities");
    expect(fields).not.toContain("_service");
    expect(__schema.types.map((t: { name: string }) => t.name)).not.toContain("_Any");
    expect(__schema.directives.map((d: { name: string }) => d.name)).not.toContain("key");
    expect((await tenant.ok(`{ _service { sdl } }`))._service.sdl).toContain(`@key(fields: "id")`);
  });

  it("serves its SDL through _service with the entity keys", async () => {
    const { _service } = await tenant.ok(`{ _service { sdl } }`);
    expect(_service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2');
    expect(_service.sdl).toMatch(/type Person implements Node\s+@key\(fields: "id"\)\s+@key\(fields: "externalId"\)/);
    expect(_service.sdl).toMatch(/type Participant implements Node\s+@key\(fields: "id"\)/);
    expect(_service.sdl).toMatch(/type Program implements Node\s+@key\(fields: "id"\)/);
  });
});
