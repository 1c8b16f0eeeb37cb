import { FieldErrors } from "../errors.js";
import { DEFAULT_BUCKET } from "./attributes.js";
import type { ParticipantFilterInput } from "./filters.js";
import type { SortSpec } from "./pagination.js";
import { escapeLike, normaliseTags } from "./validate.js";

/**
 * The WHERE and ORDER BY of participant reads, as SQL over `participant p JOIN person pe`.
 * Participant reads are built in SQL rather than through Prisma so that a whole page, its
 * persons and custom values come back as one JSON document from one statement (see
 * loaders/participant-reader.ts). Every value travels as a bound parameter.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** The same parameters, to extend for another statement without changing these. */
  copy(): SqlParams {
    const copy = new SqlParams();
    copy.values.push(...this.values);
    return copy;
  }

  /** A JSON value compared with a jsonb column: sent as its text, never as a driver-converted object. */
  json(value: unknown): string {
    return `${this.add(JSON.stringify(value ?? null))}::jsonb`;
  }
}


export function participantFilterSql(filter: ParticipantFilterInput | null | undefined, params: SqlParams): string[] {
  if (!filter) return [];
  const errors = new FieldErrors();
  const and: string[] = [];
  if (filter.status) and.push(`p.status::text = ${params.add(filter.status)}`);
  if (filter.tagsAny) and.push(`p.tags && ${params.add(normaliseTags(filter.tagsAny, ["filter", "tagsAny"], errors))}::text[]`);
  if (filter.tagsAll) and.push(`p.tags @> ${params.add(normaliseTags(filter.tagsAll, ["filter", "tagsAll"], errors))}::text[]`);
  if (filter.externalId != null) and.push(`p.external_id = ${params.add(filter.externalId)}`);
  for (const [column, after, before] of [
    ["p.created_at", filter.createdAfter, filter.createdBefore],
    ["p.updated_at", filter.updatedAfter, filter.updatedBefore],
  ] as const) {
    if (after) and.push(`${column} > ${params.add(after.toISOString())}::timestamptz`);
    if (before) and.push(`${column} < ${params.add(before.toISOString())}::timestamptz`);
  }
  if (filter.email != null) and.push(`lower(pe.email) = lower(${params.add(filter.email.trim())})`);
  const search = filter.search?.trim();
  if (search) {
    const pattern = params.add(`%${escapeLike(search)}%`);
    and.push(`(${["first_name", "last_name", "display_name", "email"].map((c) => `pe.${c} ILIKE ${pattern}`).join(" OR ")})`);
  }
  // A participant has one attribute map, not buckets: naming another bucket is a mistake to
  // report, not a condition to drop.
  (filter.attributes ?? []).forEach(({ key, equals, bucket }, i) => {
    if (bucket != null && bucket !== DEFAULT_BUCKET) {
      errors.add(["filter", "attributes", String(i), "bucket"], "A participant's attributes have no buckets; omit `bucket`.");
    }
    and.push(`p.attributes -> ${params.add(key)} = ${params.json(equals)}`);
  });
  for (const { key, equals } of filter.customFields ?? []) {
    and.push(
      `EXISTS (SELECT 1 FROM custom_field_value v JOIN custom_field_definition d ON d.id = v.field_id
               WHERE v.participant_id = p.id AND d.key = ${params.add(key)} AND v.value = ${params.json(equals)})`,
    );
  }
  errors.throwIfAny();
  return and;
}

/** A sort of participants: the SortSpec that builds cursors, plus its SQL expression. */
export type SqlSort = SortSpec & { column: string };

export function orderSql(sort: SqlSort): string {
  const direction = sort.direction === "asc" ? "ASC" : "DESC";
  return `${sort.column} ${direction}${sort.nullable ? (sort.nullsFirst ? " NULLS FIRST" : " NULLS LAST") : ""}, p.id ${direction}`;
}

const CAST = { date: "::timestamptz", int: "::int", string: "::text" } as const;

/** Rows strictly beyond a cursor's (sort value, id), nulls where the ordering puts them; see pagination.ts. */
export function afterSql(sort: SqlSort, [value, id]: [Date | string | number | null, string], params: SqlParams): string {
  const beyond = sort.direction === "asc" ? ">" : "<";
  const nullsFirst = sort.nullable && sort.nullsFirst;
  const idParam = `${params.add(id)}::uuid`;
  if (value === null) {
    const sameNull = `(${sort.column} IS NULL AND p.id ${beyond} ${idParam})`;
    return nullsFirst ? `(${sameNull} OR ${sort.column} IS NOT NULL)` : sameNull;
  }
  const v = `${params.add(value instanceof Date ? value.toISOString() : value)}${CAST[sort.kind]}`;
  const nulls = sort.nullable && !nullsFirst ? ` OR ${sort.column} IS NULL` : "";
  return `(${sort.column} ${beyond} ${v} OR (${sort.column} = ${v} AND p.id ${beyond} ${idParam})${nulls})`;
}
