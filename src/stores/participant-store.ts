import type { Caller } from "../auth/api-key.js";
import type { Database } from "../db/client.js";
import type { CustomFieldDefinition, Participant, Person } from "../generated/prisma/client.js";
import { nest, type DecodedCursor, type SortSpec } from "../services/pagination.js";
import { jsonFields } from "./columns.js";
import { participantConditions, type FilterInput } from "./filters.js";
import { and, empty, raw, rows, sql, type Sql } from "./sql.js";

/** A stored custom value as read: the value and, when asked for, when it was last written (ISO 8601, with an offset). */
export type StoredValue = [value: unknown, updatedAt?: string];

/**
 * A participant as the store returns it: Prisma's fields (timestamps as ISO strings), its person
 * (the fields the plan names) and, when the plan asks for custom fields, `definitions` (every
 * definition of its program, archived ones too, oldest first) with `customValues` in the same
 * order, null where unset. Both come from the same statement, so they always line up.
 */
export type ParticipantRow = Participant & {
  person: Person;
  definitions?: CustomFieldDefinition[];
  customValues?: (StoredValue | null)[] | null;
};

/** What to read besides the participant's own columns. */
export interface ReadPlan {
  /** Custom values and the definitions of the programs read. */
  customFields: boolean;
  /** When each custom value was written; only `CustomFieldValue.updatedAt` needs it. */
  valueTimes?: boolean;
  /** The person's fields to read (`id` always comes); every field when absent. */
  personFields?: Iterable<string>;
}

export const EVERYTHING: ReadPlan = { customFields: true };

/** Which participants: of a program or of a person, filtered; or some by what identifies them. */
export type ParticipantScope = { programId: string } | { personId: string };
export type ParticipantKey =
  | { ids: string[] }
  | { personIds: string[] }
  | { programId: string; serialNumber: number }
  | { programId: string; externalId: string };

/** A list's conditions, checked and compiled once; the page and its count share them. */
export interface ParticipantCriteria {
  conditions: Sql[];
}

/**
 * A participant written as JSON text by PostgreSQL, as the client selected it (src/direct): the
 * text, over `p` and `pe`, and the joins it needs; `unusual` is true for a row whose text could
 * differ from what the resolvers would write.
 */
export interface JsonNode {
  json: Sql;
  unusual: Sql;
  joins: Sql;
}

/** A participant as JSON text, with its id and the value it is sorted by (at the sort's path, for cursors). */
export interface JsonRow {
  id: string;
  json: string;
  unusual: boolean;
}

type Window = { sort: SortSpec; after?: DecodedCursor; take: number };

export interface ParticipantStore {
  /** Refuses a bad filter (BAD_USER_INPUT with its path) before any row is read. */
  criteria(scope: ParticipantScope, filter: FilterInput | null | undefined, caller: Caller): ParticipantCriteria;
  page(criteria: ParticipantCriteria, page: Window & { plan: ReadPlan }): Promise<ParticipantRow[]>;
  /** The same page with each row as JSON text. */
  pageJson(criteria: ParticipantCriteria, page: Window & { node: JsonNode }): Promise<JsonRow[]>;
  count(criteria: ParticipantCriteria): Promise<number>;
  /** Participants by what identifies them, in no particular order. */
  find(key: ParticipantKey, plan: ReadPlan): Promise<ParticipantRow[]>;
  findJson(key: ParticipantKey, node: JsonNode): Promise<JsonRow[]>;
}

/** One stored value as a JSON array, `[value]` or `[value, updatedAt]`. */
export const storedValueSql = (times: boolean) => (times ? sql`json_build_array(v.value, v.updated_at)` : sql`json_build_array(v.value)`);

const DEFINITION_ORDER = sql`d.created_at, d.key`;
const PARTICIPANT = jsonFields("Participant", "p");
const DEFINITION = jsonFields("CustomFieldDefinition", "d");

// A page usually shows a few of a person's two dozen columns: reading only those shrinks the
// document PostgreSQL builds and Node decodes. One set of fields is always one statement text.
function personSql(fields: Iterable<string> | undefined): Sql {
  return jsonFields("Person", "pe", fields && new Set(["id", ...fields]));
}

function scopeSql(scope: ParticipantScope | ParticipantKey): Sql {
  if ("programId" in scope && "serialNumber" in scope) return sql`p.program_id = ${scope.programId}::uuid AND p.serial_number = ${scope.serialNumber}`;
  if ("programId" in scope && "externalId" in scope) return sql`p.program_id = ${scope.programId}::uuid AND p.external_id = ${scope.externalId}`;
  if ("programId" in scope) return sql`p.program_id = ${scope.programId}::uuid`;
  if ("personId" in scope) return sql`p.person_id = ${scope.personId}::uuid`;
  if ("ids" in scope) return sql`p.id = ANY(${scope.ids}::uuid[])`;
  return sql`p.person_id = ANY(${scope.personIds}::uuid[])`;
}

/** ORDER BY of a sort (its column is a name this code owns); see pagination.ts for `reversed`. */
function orderSql(sort: SortSpec): Sql {
  const direction = sort.direction === "asc" ? "ASC" : "DESC";
  const nulls = sort.nullable ? (sort.nullsFirst ? " NULLS FIRST" : " NULLS LAST") : "";
  return raw(`${sort.column} ${direction}${nulls}, p.id ${direction}`);
}

const CAST = { date: raw("::timestamptz"), int: raw("::int"), string: raw("::text") } as const;

/** Rows strictly beyond a cursor's (sort value, id), nulls where the ordering puts them. */
function afterSql(sort: SortSpec, [value, id]: DecodedCursor): Sql {
  const column = raw(sort.column!);
  const beyond = raw(sort.direction === "asc" ? ">" : "<");
  const nullsFirst = sort.nullable && sort.nullsFirst;
  if (value === null) {
    const sameNull = sql`(${column} IS NULL AND p.id ${beyond} ${id}::uuid)`;
    return nullsFirst ? sql`(${sameNull} OR ${column} IS NOT NULL)` : sameNull;
  }
  const v = sql`${value instanceof Date ? value.toISOString() : value}${CAST[sort.kind]}`;
  const nulls = sort.nullable && !nullsFirst ? sql` OR ${column} IS NULL` : empty;
  return sql`(${column} ${beyond} ${v} OR (${column} = ${v} AND p.id ${beyond} ${id}::uuid)${nulls})`;
}

/**
 * The only code that reads participants with SQL. One statement per read: PostgreSQL selects the
 * rows, joins each person, folds custom values and the programs' definitions in, and returns the
 * whole thing as one JSON document; decoding one document costs far less than rows per relation.
 * Raw SQL is not tenant-scoped by Prisma, so every statement names the workspace.
 */
export function participantStore(db: Database, workspaceId: string): ParticipantStore {
  const within = (conditions: Sql[]) => sql`p.workspace_id = ${workspaceId}::uuid AND ${and(conditions)}`;
  // The rows are chosen on ids alone, then each is joined back and built: the JSON of a row is
  // never computed for rows the LIMIT drops. The limit is part of the text (a bounded number of
  // texts), which lets PostgreSQL reuse one plan for each.
  const chosen = (conditions: Sql[], orderBy: Sql, limit: number | undefined) =>
    sql`(SELECT p.id FROM participant p JOIN person pe ON pe.id = p.person_id WHERE ${within(conditions)}
         ORDER BY ${orderBy}${limit === undefined ? empty : raw(` LIMIT ${Math.trunc(limit)}`)}) chosen
       JOIN participant p ON p.id = chosen.id JOIN person pe ON pe.id = p.person_id`;

  async function read(conditions: Sql[], orderBy: Sql, limit: number | undefined, plan: ReadPlan): Promise<ParticipantRow[]> {
    const { customFields, valueTimes = true, personFields } = plan;
    // Values in definition order, positionally: keys would repeat a field id on every value.
    const values = customFields
      ? sql`, 'customValues', (SELECT json_agg(CASE WHEN v.field_id IS NULL THEN NULL ELSE ${storedValueSql(valueTimes)} END ORDER BY ${DEFINITION_ORDER})
          FROM custom_field_definition d LEFT JOIN custom_field_value v ON v.field_id = d.id AND v.participant_id = p.id
          WHERE d.program_id = p.program_id)`
      : empty;
    // array_agg(p.program_id) belongs to the outer query: the programs of the rows read.
    const definitions = customFields
      ? sql`(SELECT json_agg(json_build_object(${DEFINITION}) ORDER BY ${DEFINITION_ORDER})
          FROM custom_field_definition d WHERE d.workspace_id = ${workspaceId}::uuid AND d.program_id = ANY(array_agg(p.program_id)))`
      : sql`NULL`;
    const [{ doc }] = await rows<{ doc: string }>(
      db,
      sql`SELECT json_build_object(
          'rows', coalesce(json_agg(json_build_object(${PARTICIPANT}, 'person', json_build_object(${personSql(personFields)})${values}) ORDER BY ${orderBy}), '[]'),
          'definitions', ${definitions}
        )::text AS doc
        FROM ${chosen(conditions, orderBy, limit)}`,
    );
    const parsed = JSON.parse(doc) as { rows: ParticipantRow[]; definitions: CustomFieldDefinition[] | null };
    if (customFields) attachDefinitions(parsed.rows, parsed.definitions ?? []);
    return parsed.rows;
  }

  /** Rows in order, each its JSON text: nothing is parsed but the ids and sort values. */
  async function readJson(conditions: Sql[], orderBy: Sql, limit: number | undefined, node: JsonNode, sort?: SortSpec): Promise<JsonRow[]> {
    const found = await rows<JsonRow & { sort: unknown }>(
      db,
      sql`SELECT p.id, ${sort ? sql`to_json(${raw(sort.column!)})` : sql`NULL::json`} AS sort, ${node.unusual} AS unusual, ${node.json} AS json
        FROM ${chosen(conditions, orderBy, limit)} ${node.joins} ORDER BY ${orderBy}`,
    );
    if (!sort) return found;
    return found.map(({ sort: value, ...row }) => Object.assign(row, nest(sort.path, value)));
  }

  const after = (conditions: Sql[], window: Window) => (window.after ? [...conditions, afterSql(window.sort, window.after)] : conditions);
  const findLimit = (key: ParticipantKey) => ("ids" in key || "personIds" in key ? undefined : 1);
  const CREATION = raw("p.created_at, p.id");

  return {
    criteria: (scope, filter, caller) => ({ conditions: [scopeSql(scope), ...participantConditions(filter, caller)] }),
    page: ({ conditions }, window) => read(after(conditions, window), orderSql(window.sort), window.take, window.plan),
    pageJson: ({ conditions }, window) => readJson(after(conditions, window), orderSql(window.sort), window.take, window.node, window.sort),
    async count({ conditions }) {
      const [{ n }] = await rows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM participant p JOIN person pe ON pe.id = p.person_id WHERE ${within(conditions)}`,
      );
      return n;
    },
    find: (key, plan) => read([scopeSql(key)], CREATION, findLimit(key), plan),
    findJson: (key, node) => readJson([scopeSql(key)], CREATION, findLimit(key), node),
  };
}

function attachDefinitions(participants: ParticipantRow[], definitions: CustomFieldDefinition[]): void {
  const byProgram = new Map<string, CustomFieldDefinition[]>();
  for (const d of definitions) {
    const list = byProgram.get(d.programId!);
    if (list) list.push(d);
    else byProgram.set(d.programId!, [d]);
  }
  for (const row of participants) row.definitions = byProgram.get(row.programId) ?? [];
}
