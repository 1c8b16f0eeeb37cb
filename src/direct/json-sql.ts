import { getNullableType, isEnumType, isListType, isObjectType, isScalarType, type FragmentDefinitionNode, type GraphQLField, type GraphQLObjectType, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { READ_THROUGH } from "../schema/participant.js";
import { columnOf, fieldsOf } from "../stores/columns.js";
import type { JsonNode } from "../stores/participant-store.js";
import { empty, join, raw, sql, type Sql } from "../stores/sql.js";
import { readDisplaySql } from "../stores/display-sql.js";
import { childrenOf, objectParts, type Part, type Selected } from "./selection.js";

const THROUGH_PERSON = new Set<string>(READ_THROUGH);
const ISO_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

type Fragments = Record<string, FragmentDefinitionNode>;
/** A response's JSON text as pieces: literal JSON text, or SQL that yields JSON text. */
type Piece = Part<Sql>;

/**
 * The SQL that writes a participant as JSON text exactly as the resolvers would answer the
 * selection (values of the JSON scalars aside: PostgreSQL spaces their text differently, with
 * the same meaning); undefined when the selection asks for anything this does not know to write.
 */
export function participantJson(schema: GraphQLSchema, selection: Selected[], fragments: Fragments): JsonNode | undefined {
  const participant = schema.getType("Participant") as GraphQLObjectType;
  const person = schema.getType("Person") as GraphQLObjectType;
  const value = schema.getType("CustomFieldValue") as GraphQLObjectType;
  let customFields: Selected | undefined;
  const pieces = objectParts<Sql>(participant, selection, (field, selected) => {
    if (THROUGH_PERSON.has(field.name)) return scalarJson(field.type, raw(`pe."${columnOf(field.name)}"`));
    if (field.name === "attributes") return sql`coalesce(p.attributes, '{}'::jsonb)::text`;
    if (field.name === "person") {
      const fields = childrenOf(selected, person.name, fragments);
      return fields && personJson(schema, fields);
    }
    if (field.name === "customFields" && !customFields) {
      customFields = selected;
      return sql`cf.items`;
    }
    return columnJson(field, "Participant", "p");
  });
  if (!pieces) return undefined;
  if (!customFields) return { json: objectSql(pieces), unusual: sql`false`, joins: empty };
  const itemFields = childrenOf(customFields, value.name, fragments);
  const display = readDisplaySql();
  const items =
    itemFields &&
    objectParts<Sql>(value, itemFields, (field) => {
      switch (field.name) {
        case "key":
          return sql`to_json(x.key)::text`;
        case "value":
          return sql`coalesce(x.value::text, 'null')`;
        case "updatedAt":
          return timeJson(sql`x.updated_at`);
        case "displayValue":
          return display && sql`coalesce(to_json(x.display)::text, 'null')`;
      }
      return undefined;
    });
  if (!items) return undefined;
  const displayed = itemFields.some((f) => f.name === "displayValue");
  return {
    json: objectSql(pieces),
    unusual: sql`cf.unusual`,
    // Every non-archived field of the program, in definition order, with its value or null. A
    // value whose display PostgreSQL cannot write as JavaScript would (display NULL) makes the
    // row unusual: it is left to the resolvers. OFFSET 0 keeps the display computed once a value
    // (most are stored: readDisplaySql).
    joins: sql`LEFT JOIN LATERAL (
        SELECT '[' || coalesce(string_agg(${objectSql(items)}, ',' ORDER BY x.created_at, x.key), '') || ']' AS items,
          ${displayed ? sql`coalesce(bool_or(x.value IS NOT NULL AND jsonb_typeof(x.value) <> 'null' AND x.display IS NULL), false)` : sql`false`} AS unusual
        FROM (SELECT y.key, y.created_at, y.value, y.updated_at, ${displayed ? display! : sql`NULL::text`} AS display
              FROM (SELECT d.key, d.created_at, d.type, d.options, v.value, v.updated_at, v.value #>> '{}' AS text, jsonb_typeof(v.value) AS kind,
                      v.display, v.display_format
                    FROM custom_field_definition d LEFT JOIN custom_field_value v ON v.field_id = d.id AND v.participant_id = p.id
                    WHERE d.program_id = p.program_id AND NOT d.archived OFFSET 0) y OFFSET 0) x) cf ON true`,
  };
}

/** The SQL that writes a person (`pe`) as JSON text as the resolvers would answer the selection; undefined when it cannot. */
export function personJson(schema: GraphQLSchema, selection: Selected[]): Sql | undefined {
  const pieces = objectParts<Sql>(schema.getType("Person") as GraphQLObjectType, selection, (f) => columnJson(f, "Person", "pe"));
  return pieces && objectSql(pieces);
}

/** The pieces as one SQL text expression; literal text goes as parameters (keys are the client's aliases). */
function objectSql(pieces: Piece[]): Sql {
  const merged: Sql[] = [];
  let text = "";
  for (const piece of pieces) {
    if (typeof piece === "string") text += piece;
    else {
      if (text) merged.push(sql`${text}::text`);
      merged.push(sql`(${piece})`);
      text = "";
    }
  }
  if (text) merged.push(sql`${text}::text`);
  return sql`(${join(merged, " || ")})`;
}

/** A field a resolver exposes unchanged from a column of `model` (Pothos records which). */
function columnJson(field: GraphQLField<unknown, unknown>, model: string, alias: string): Sql | undefined {
  const exposed = (field.extensions as { pothosExposedField?: string } | undefined)?.pothosExposedField;
  if (exposed !== field.name || !fieldsOf(model).includes(exposed)) return undefined;
  return scalarJson(field.type, raw(`${alias}."${columnOf(exposed)}"`));
}

/** A column's value as the field's type serialises it, in JSON. */
function scalarJson(type: GraphQLOutputType, column: Sql): Sql | undefined {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = getNullableType(nullable.ofType);
    return isScalarType(item) && item.name === "String" ? sql`coalesce(to_json(${column})::text, 'null')` : undefined;
  }
  // An enum of the database's own values (its names are its values).
  if (isEnumType(nullable)) return nullable.getValues().every((v) => v.value === v.name) ? sql`coalesce(to_json(${column})::text, 'null')` : undefined;
  if (isObjectType(nullable)) return undefined;
  switch (nullable.name) {
    case "ID":
    case "String":
      return sql`coalesce(to_json(${column})::text, 'null')`;
    case "Int":
    case "Boolean":
      return sql`coalesce(${column}::text, 'null')`;
    case "DateTime":
      return timeJson(column);
    case "JSON":
    case "JSONObject":
      return sql`coalesce(${column}::text, 'null')`;
  }
  return undefined;
}

/** A timestamp as the DateTime scalar writes it: ISO 8601 in UTC with milliseconds. */
function timeJson(column: Sql): Sql {
  return sql`coalesce('"' || to_char(${column} AT TIME ZONE 'UTC', ${raw(ISO_TIME)}) || '"', 'null')`;
}
