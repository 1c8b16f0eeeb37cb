import { createHash } from "node:crypto";
import { dateFormat, dateTimeFormat } from "../services/custom-value.js";
import { join, raw, sql, type Sql } from "./sql.js";

/**
 * `CustomFieldValue.displayValue` computed by PostgreSQL, for reads that write PostgreSQL's JSON
 * text to the response as it is. It must read exactly like `displayValue` in custom-value.ts, so
 * the date formats are not written by hand: they are derived from the same Intl formatters
 * (ICU's English has changed "Sep" to "Sept" before), part by part. For a value whose JavaScript
 * display could differ (an unexpected type, a number JavaScript prints with an exponent, a year
 * before 1000) the expression is NULL: the caller answers that page the ordinary way.
 *
 * It reads columns of `y` computed once a value: `type` and `options` of the definition, the stored `value` (NULL when unset), its `text`
 * (`value #>> '{}'`) and `kind` (`jsonb_typeof`).
 */
function displaySql(): Sql | undefined {
  const date = dateSql(dateFormat, "");
  const dateTime = dateSql(dateTimeFormat, " UTC");
  if (!date || !dateTime) return undefined;
  const typed = (kind: string, then: Sql) => sql`CASE WHEN y.kind = ${kind} THEN ${then} END`;
  // Stored dates passed custom-value.ts's checks (YYYY-MM-DD; date-times as toISOString writes
  // them): their shape is checked only to leave years before 1000 (Intl writes those otherwise)
  // to the resolvers. A value that is no date at all fails its casts, and the resolvers answer.
  return sql`CASE
    WHEN y.value IS NULL OR y.kind = 'null' THEN NULL
    WHEN y.type IN ('TEXT', 'EMAIL', 'URL') THEN ${typed("string", sql`y.text`)}
    WHEN y.type = 'SELECT' THEN ${typed("string", sql`coalesce(${labelOf(sql`y.value`)}, y.text)`)}
    WHEN y.type = 'MULTI_SELECT' THEN ${typed(
      "array",
      sql`(SELECT CASE WHEN bool_and(jsonb_typeof(e) = 'string') IS NOT FALSE THEN coalesce(string_agg(coalesce(${labelOf(sql`e`)}, e #>> '{}'), ', ' ORDER BY n), '') END
        FROM jsonb_array_elements(y.value) WITH ORDINALITY AS el(e, n))`,
    )}
    WHEN y.type = 'BOOLEAN' THEN ${typed("boolean", sql`CASE WHEN y.value = 'true'::jsonb THEN 'Yes' ELSE 'No' END`)}
    WHEN y.type = 'DATE' THEN ${typed("string", sql`CASE WHEN y.text LIKE '____-__-__' AND y.text >= '1000' THEN ${date} END`)}
    WHEN y.type = 'DATETIME' THEN ${typed("string", sql`CASE WHEN y.text LIKE '____-__-__T__:__:__.___Z' AND y.text >= '1000' THEN ${dateTime} END`)}
    WHEN y.type = 'NUMBER' THEN ${typed(
      "number",
      // JavaScript writes numbers from 1e21 up, and below 1e-6, with an exponent; PostgreSQL never does.
      sql`CASE WHEN y.value::numeric = 0 OR abs(y.value::numeric) >= 0.000001 AND abs(y.value::numeric) < 1e21 THEN y.text END`,
    )}
  END`;
}

/** An option's label by its value (the first option with it), as `labelOf` in custom-value.ts finds it; NULL when none. */
function labelOf(value: Sql): Sql {
  return sql`(SELECT o ->> 'label' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(y.options) = 'array' THEN y.options ELSE '[]'::jsonb END)
    WITH ORDINALITY AS opt(o, n) WHERE o -> 'value' = ${value} ORDER BY n LIMIT 1)`;
}

// A moment whose every part tells its form apart: day 5 (5 or 05), hour 3 (3 or 03), minute 7.
const PROBE = new Date(Date.UTC(2026, 8, 5, 3, 7));

/**
 * The SQL that formats an ISO date or date-time text (already checked: four-digit year from
 * 1000) as `format` does, then `suffix`; undefined when a part's form is not one this knows.
 */
function dateSql(format: Intl.DateTimeFormat, suffix: string): Sql | undefined {
  const at = (from: number, length: number) => sql`substr(y.text, ${raw(String(from))}, ${raw(String(length))})`;
  const number = (from: number, length: number) => sql`(${at(from, length)})::int::text`;
  const months = Array.from({ length: 12 }, (_, m) => format.formatToParts(new Date(Date.UTC(2026, m, 5))).find((p) => p.type === "month")?.value);
  if (months.some((m) => m === undefined)) return undefined;
  const pieces: Sql[] = [];
  for (const part of format.formatToParts(PROBE)) {
    const piece =
      part.type === "literal"
        ? sql`${part.value}::text`
        : part.type === "year" && part.value === "2026"
          ? at(1, 4)
          : part.type === "month" && part.value === months[8]
            ? sql`(${months as string[]}::text[])[${at(6, 2)}::int]`
            : part.type === "day"
              ? { "5": number(9, 2), "05": at(9, 2) }[part.value]
              : part.type === "hour"
                ? { "3": number(12, 2), "03": at(12, 2) }[part.value]
                : part.type === "minute" && part.value === "07"
                  ? at(15, 2)
                  : undefined;
    if (!piece) return undefined;
    pieces.push(piece);
  }
  if (suffix) pieces.push(sql`${suffix}::text`);
  return sql`(${join(pieces, " || ")})`;
}

/**
 * The rendering of this process: the SQL of `displaySql` and its fingerprint, which stored
 * displays carry (`display_format`) so that a process whose rendering differs (another Intl,
 * another version of these rules) knows not to trust them. Undefined when dates cannot be
 * written in SQL here; then displays are stored without a fingerprint, no read trusts them, and
 * every display is left to the resolvers.
 */
export const rendering: { sql: Sql; format: number } | undefined = (() => {
  const display = displaySql();
  if (!display) return undefined;
  const digest = createHash("sha256").update(display.text).update(JSON.stringify(display.values)).digest();
  return { sql: display, format: digest.readInt32BE(0) };
})();

/**
 * A value's display for a read over `y` (see `displaySql`, with its stored `display` and
 * `display_format`): the stored text when this rendering wrote it, else rendered here.
 */
export function readDisplaySql(): Sql | undefined {
  return rendering && sql`CASE WHEN y.display_format = ${rendering.format} THEN y.display ELSE ${rendering.sql} END`;
}

/** The display of `value`, a value of field `fieldId` (SQL expressions), as this process renders it to store it. */
export function renderedDisplaySql(value: Sql, fieldId: Sql): Sql {
  if (!rendering) return sql`NULL::text`;
  return sql`(SELECT ${rendering.sql} FROM (SELECT d.type, d.options, ${value} AS value, ${value} #>> '{}' AS text, jsonb_typeof(${value}) AS kind
    FROM custom_field_definition d WHERE d.id = ${fieldId}) y)`;
}

/** The fingerprint stored beside a rendered display (NULL when nothing is rendered). */
export const renderedFormatSql = (): Sql => (rendering ? sql`${rendering.format}::int` : sql`NULL::int`);

/** The SET list of an UPDATE of `custom_field_value v` that renders its display as this process does. */
export const renderDisplaySetSql = (): Sql => sql`display = ${renderedDisplaySql(sql`v.value`, sql`v.field_id`)}, display_format = ${renderedFormatSql()}`;
