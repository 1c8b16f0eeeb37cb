import { BoundedMap } from "../bounded-map.js";
import { getDatamodel } from "../generated/pothos-types.js";
import { raw, type Sql } from "./sql.js";

// Every column is its Prisma field's name in snake_case (the schema maps each one so);
// test/columns.test.ts checks this against the database's own catalogue for every model.
const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// getDatamodel() parses the whole data model on every call: read it once.
const models = getDatamodel().datamodel.models;
const scalarFields = new Map<string, string[]>();

/** The scalar fields of a Prisma model, in the model's order. */
export function fieldsOf(model: string): string[] {
  let fields = scalarFields.get(model);
  if (!fields) {
    const all = models[model]?.fields;
    if (!all) throw new Error(`Unknown model ${model}`);
    scalarFields.set(model, (fields = all.filter((f) => f.kind === "scalar" || f.kind === "enum").map((f) => f.name)));
  }
  return fields;
}

export function columnOf(field: string): string {
  return snake(field);
}

/**
 * The arguments of a `json_build_object(...)` over some (by default all) scalar fields of a
 * model, under Prisma's field names, so that a row PostgreSQL builds reads like one Prisma
 * returns. Timestamps arrive as PostgreSQL writes them in JSON (ISO 8601 with an offset), which
 * the DateTime scalar serialises exactly like a Date.
 */
export function jsonFields(model: string, alias: string, only?: ReadonlySet<string>): Sql {
  return listed(`json ${model} ${alias} ${only ? [...only].join(",") : "*"}`, () => {
    const fields = fieldsOf(model).filter((field) => !only || only.has(field));
    return fields.map((field) => `'${field}', ${alias}."${columnOf(field)}"`).join(", ");
  });
}

// The lists are built once per model, alias and choice of fields: statements are built on every
// request. Bounded, since the fields chosen follow what clients select.
const lists = new BoundedMap<string, Sql>(1_000);
function listed(key: string, build: () => string): Sql {
  let list = lists.get(key);
  if (!list) lists.set(key, (list = raw(build())));
  return list;
}

/**
 * A select list of every scalar field of a model under Prisma's field names: the row reads like
 * one Prisma returns (pg parses timestamps, arrays and JSON as Prisma does), without the client's
 * per-value mapping, which was most of a batch look-up's time.
 */
export function selectFields(model: string, alias: string, except: readonly string[] = []): Sql {
  return listed(`select ${model} ${alias} ${except.join(",")}`, () =>
    fieldsOf(model)
      .filter((field) => !except.includes(field))
      .map((field) => `${alias}."${columnOf(field)}" AS "${field}"`)
      .join(", "),
  );
}
