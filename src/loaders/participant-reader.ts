import type { Database } from "../db/client.js";
import { joinPairs, jsonPairsSql } from "../db/json-columns.js";
import type { CustomFieldDefinition, Participant, Person } from "../generated/prisma/client.js";
import { SqlParams } from "../services/participant-sql.js";

/** A stored custom value as read: the value and, when asked for, when it was last written (ISO 8601, with an offset). */
export type StoredValue = [value: unknown, updatedAt?: string];

/**
 * A participant as the reader returns it: Prisma's fields (timestamps as ISO strings) and its
 * person; when custom fields were asked for, `definitions` are every definition of its program
 * (archived ones too, oldest first) and `customValues` its values in the same order, null where
 * unset. Both come from the same statement, so they always line up.
 */
export type ParticipantRow = Participant & {
  person: Person;
  definitions?: CustomFieldDefinition[];
  customValues?: (StoredValue | null)[] | null;
};

export interface ParticipantRead {
  /** Conditions over `participant p JOIN person pe`, with parameters from `params`. */
  where: string[];
  params: SqlParams;
  orderBy: string;
  limit?: number;
  /** Also read custom values and the definitions of the programs on the page. */
  customFields: boolean;
  /** When each custom value was written; only `CustomFieldValue.updatedAt` needs it. */
  valueTimes?: boolean;
  /** The person's fields to read (`id` always comes); every field when absent. */
  personFields?: Iterable<string>;
}

export interface ParticipantReader {
  /** Parameters for a read, `$1` being the caller's workspace. */
  params(): SqlParams;
  read(query: ParticipantRead): Promise<ParticipantRow[]>;
  count(query: Pick<ParticipantRead, "where" | "params">): Promise<number>;
}

let columns: { participant: string; person: [string, string][]; definition: string } | undefined;

/** One stored value as a JSON array, `[value]` or `[value, updatedAt]`; shared with the values loader. */
export const storedValueSql = (times: boolean) => `json_build_array(v.value${times ? ", v.updated_at" : ""})`;

const DEFINITION_ORDER = "d.created_at, d.key";

/**
 * Reads participants with one statement: PostgreSQL selects the page, joins each person, folds
 * custom values and the programs' definitions in, and returns the whole thing as one JSON
 * document. Decoding one document costs far less than decoding rows per relation, and the
 * request sends one statement however many rows and fields the page has. Raw SQL is not
 * tenant-scoped by Prisma, so every statement names the workspace (`$1`).
 */
export function participantReader(db: Database, workspaceId: string): ParticipantReader {
  columns ??= {
    participant: joinPairs(jsonPairsSql(db.prisma, "Participant", "p")),
    person: jsonPairsSql(db.prisma, "Person", "pe"),
    definition: joinPairs(jsonPairsSql(db.prisma, "CustomFieldDefinition", "d")),
  };
  const { participant, person, definition } = columns;
  // A page usually shows a few of a person's two dozen columns: reading only those shrinks the
  // document PostgreSQL builds and Node decodes. Kept in the model's order, so that one set of
  // fields is always one statement text.
  const personSql = (fields: Iterable<string> | undefined) => {
    const only = fields && new Set(["id", ...fields]);
    return joinPairs(only ? person.filter(([field]) => only.has(field)) : person);
  };
  const from = (where: string[]) =>
    `FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.workspace_id = $1${where.map((c) => ` AND ${c}`).join("")}`;

  return {
    params() {
      const params = new SqlParams();
      params.add(workspaceId);
      return params;
    },

    async read({ where, params, orderBy, limit, customFields, valueTimes = true, personFields }) {
      // Values in definition order, positionally: keys would repeat a field id on every value.
      const values = customFields
        ? `, 'customValues', (SELECT json_agg(CASE WHEN v.field_id IS NULL THEN NULL ELSE ${storedValueSql(valueTimes)} END ORDER BY ${DEFINITION_ORDER})
            FROM custom_field_definition d LEFT JOIN custom_field_value v ON v.field_id = d.id AND v.participant_id = p.id
            WHERE d.program_id = p.program_id)`
        : "";
      // array_agg(p.program_id) belongs to the outer query: the programs of the page's rows.
      const programDefinitions = customFields
        ? `(SELECT json_agg(json_build_object(${definition}) ORDER BY ${DEFINITION_ORDER})
            FROM custom_field_definition d WHERE d.workspace_id = $1 AND d.program_id = ANY(array_agg(p.program_id)))`
        : "NULL";
      // The page is chosen on ids alone, then each row is joined back and built: the JSON of a row
      // is never computed for rows the LIMIT drops.
      const sql = `
        SELECT json_build_object(
          'rows', coalesce(json_agg(json_build_object(${participant}, 'person', json_build_object(${personSql(personFields)})${values}) ORDER BY ${orderBy}), '[]'),
          'definitions', ${programDefinitions}
        )::text AS doc
        FROM (SELECT p.id ${from(where)} ORDER BY ${orderBy}${limit === undefined ? "" : ` LIMIT ${params.add(limit)}`}) page
        JOIN participant p ON p.id = page.id JOIN person pe ON pe.id = p.person_id`;
      const [{ doc }] = await db.query<{ doc: string }>(sql, params.values);
      const { rows, definitions } = JSON.parse(doc) as { rows: ParticipantRow[]; definitions: CustomFieldDefinition[] | null };
      if (customFields) {
        const byProgram = new Map<string, CustomFieldDefinition[]>();
        for (const d of definitions ?? []) {
          const list = byProgram.get(d.programId);
          if (list) list.push(d);
          else byProgram.set(d.programId, [d]);
        }
        for (const row of rows) row.definitions = byProgram.get(row.programId) ?? [];
      }
      return rows;
    },

    async count({ where, params }) {
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from(where)}`, params.values);
      return n;
    },
  };
}
