import {
  coerceInputValue,
  getNamedType,
  GraphQLInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLInputType,
  type GraphQLSchema,
} from "graphql";

// The files import reads and export writes (SPEC §11). A JSON line is a row exactly as the
// GraphQL mutation takes it. A CSV row is the same row flattened: one column per field, nested
// objects as `location.city`, a participant's person as `person.email`, and one column per
// attribute (`attributes.<key>`), custom field (`customFields.<key>`) and other system's id
// (`identities.<system>`). Lists (tags, multi-select values) are joined with ";". Every row,
// from either format, is then coerced by the schema's own input type: the command line accepts
// exactly what the API does.

export type RowKind = "people" | "participants";

/** The GraphQL input type of one row of each kind. */
const ROW_TYPES: Record<RowKind, string> = { people: "CreatePersonInput", participants: "ImportParticipantRow" };

/** A column's place in a row: a field, or a key inside one of the keyed maps. */
export type Column =
  | { kind: "field"; path: string[]; type: GraphQLInputType }
  | { kind: "attribute" | "customField" | "identity"; path: string[]; key: string };

const KEYED = { attributes: "attribute", customFields: "customField", identities: "identity" } as const;
/** Fields a CSV cell cannot clear: an empty cell leaves them out. */
const NEVER_EMPTY = new Set(["status", "firstSeenAt", "lastSeenAt"]);

const inputObject = (schema: GraphQLSchema, name: string) => schema.getType(name) as GraphQLInputObjectType;

/** The columns of a kind's rows that are always there, in order; keyed columns follow. */
export function fixedColumns(schema: GraphQLSchema, kind: RowKind): string[] {
  const walk = (type: GraphQLInputObjectType, prefix: string): string[] =>
    Object.values(type.getFields()).flatMap((field) => {
      if (field.name in KEYED) return [];
      const named = getNamedType(field.type);
      return named instanceof GraphQLInputObjectType ? walk(named, `${prefix}${field.name}.`) : [`${prefix}${field.name}`];
    });
  const columns = walk(inputObject(schema, ROW_TYPES[kind]), "");
  // The key first, then the rest in the type's order.
  return ["externalId", ...columns.filter((c) => c !== "externalId")];
}

/** How each header column maps into a row; unknown columns are refused, all at once. */
export function parseHeader(schema: GraphQLSchema, kind: RowKind, header: string[]): Column[] {
  const unknown: string[] = [];
  const columns = header.map((name): Column => {
    const parts = name.split(".");
    let type: GraphQLInputObjectType = inputObject(schema, ROW_TYPES[kind]);
    for (let i = 0; i < parts.length; i++) {
      const field = type.getFields()[parts[i]!];
      if (!field) break;
      const keyedKind = KEYED[parts[i] as keyof typeof KEYED];
      if (keyedKind && i === parts.length - 2) return { kind: keyedKind, path: parts.slice(0, i + 1), key: parts[i + 1]! };
      const named = getNamedType(field.type);
      if (i === parts.length - 1 && !(named instanceof GraphQLInputObjectType) && !keyedKind) return { kind: "field", path: parts, type: field.type };
      if (!(named instanceof GraphQLInputObjectType)) break;
      type = named;
    }
    unknown.push(name);
    return { kind: "attribute", path: parts, key: "" };
  });
  if (unknown.length > 0) throw new Error(`unknown column${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (see the export's header for the columns a ${kind} file has)`);
  return columns;
}

/** An attribute cell: JSON when it reads as JSON (numbers, booleans, objects, quoted strings), else the text itself. */
function attributeValue(cell: string): unknown {
  if (/^(-?\d|\{|\[|"|true$|false$|null$)/.test(cell)) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

/** An attribute value as a cell, so that attributeValue reads it back the same. */
function attributeCell(value: unknown): string {
  if (typeof value === "string") return value !== "" && attributeValue(value) === value ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function scalarValue(type: GraphQLInputType, cell: string): unknown {
  const named = getNamedType(type);
  if (isListType(isNonNullType(type) ? type.ofType : type)) return cell === "" ? [] : cell.split(";");
  if (named.name === "String" || named.name === "ID") return cell;
  if (cell === "") return null;
  if (named.name === "Int" || named.name === "Float") return Number(cell);
  if (named.name === "Boolean") return cell === "true" ? true : cell === "false" ? false : cell;
  if (named.name === "JSON" || named.name === "JSONObject") return attributeValue(cell);
  return cell;
}

/** Sets `value` at `path` inside `row`, making the objects on the way. */
function place(row: Record<string, any>, path: string[], value: unknown): void {
  let at = row;
  for (const part of path.slice(0, -1)) at = at[part] ??= {};
  at[path.at(-1)!] = value;
}

function lookUp(row: Record<string, any>, path: string[]): any {
  return path.reduce((at, part) => (at == null ? undefined : at[part]), row);
}

/**
 * A CSV record as a row input. `multiSelect` names the custom fields (by column path) whose
 * cells are lists. Nested objects whose cells are all empty are left out.
 */
export function decodeRecord(columns: Column[], cells: string[], multiSelect: ReadonlySet<string>): Record<string, unknown> {
  const row: Record<string, any> = {};
  const nested = new Map<string, boolean>();
  columns.forEach((column, i) => {
    const cell = cells[i] ?? "";
    if (column.kind === "field") {
      if (cell === "" && NEVER_EMPTY.has(column.path.at(-1)!)) return;
      if (column.path.length > 1 && !(column.path[0] === "person" && column.path.length === 2)) {
        const parent = column.path.slice(0, -1).join(".");
        nested.set(parent, (nested.get(parent) ?? false) || cell !== "");
      }
      place(row, column.path, scalarValue(column.type, cell));
    } else if (column.kind === "attribute") {
      if (cell !== "") place(row, [...column.path, column.key], attributeValue(cell));
    } else {
      const list: unknown[] = lookUp(row, column.path) ?? [];
      if (column.kind === "identity" && cell !== "") list.push({ system: column.key, id: cell });
      const joined = multiSelect.has(`${column.path.join(".")}.${column.key}`);
      if (column.kind === "customField" && cell !== "") list.push({ key: column.key, value: joined ? cell.split(";") : cell });
      if (list.length > 0) place(row, column.path, list);
    }
  });
  for (const [parent, given] of nested) if (!given) place(row, parent.split("."), undefined);
  return JSON.parse(JSON.stringify(row));
}

/** A row (as export builds it: the input's shape) as CSV cells, one per column. */
export function encodeRecord(columns: Column[], row: Record<string, unknown>): string[] {
  return columns.map((column) => {
    if (column.kind === "attribute") {
      const value = lookUp(row, [...column.path, column.key]);
      return value === undefined ? "" : attributeCell(value);
    }
    if (column.kind !== "field") {
      const entry = ((lookUp(row, column.path) ?? []) as { system?: string; key?: string; id?: string; value?: unknown }[]).find((e) => (e.system ?? e.key) === column.key);
      const value = column.kind === "identity" ? entry?.id : entry?.value;
      return value == null ? "" : Array.isArray(value) ? value.join(";") : String(value);
    }
    const value = lookUp(row, column.path);
    if (value == null) return "";
    if (Array.isArray(value)) return value.join(";");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  });
}

/** A row checked and coerced by the schema's input type, as the API would; the first problem as a field error. */
export function coerceRow(schema: GraphQLSchema, kind: RowKind, row: unknown): { row: Record<string, unknown> } | { error: { path: string[]; message: string } } {
  let error: { path: string[]; message: string } | undefined;
  const coerced = coerceInputValue(row, inputObject(schema, ROW_TYPES[kind]), (path, _invalid, e) => {
    error ??= { path: path.map(String), message: e.message.replace(/^Expected type "?[\w!]+"?\. /, "") };
  });
  return error ? { error } : { row: coerced as Record<string, unknown> };
}
