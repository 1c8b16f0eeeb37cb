import { dateFormat, dateTimeFormat } from "../services/custom-value.js";
import { join, raw, sql, type Sql } from "../stores/sql.js";

/**
 * `CustomFieldValue.displayValue` computed by PostgreSQL, for reads that write PostgreSQL's JSON
 * text to the response as it is. It must read exactly like `displayValue` in custom-value.ts, so
 * the date formats are not written by hand: they are derived from the same Intl formatters
 * (ICU's English has changed "Sep" to "Sept" before), part by part. For a value whose JavaScript
 * display could differ (an unexpected type, a number JavaScript prints with an exponent, a year
 * before 1000) the expression is NULL: the caller answers that page the ordinary way.
 *
 * `v` is the custom_field_value row (possibly absent), `d` its definition.
 */
export function displaySql(): Sql | undefined {
  const date = dateSql(dateFormat, "");
  const dateTime = dateSql(dateTimeFormat, " UTC");
  if (!date || !dateTime) return undefined;
  const text = sql`(v.value #>> '{}')`;
  const typed = (type: string, then: Sql) => sql`CASE WHEN jsonb_typeof(v.value) = ${type} THEN ${then} END`;
  return sql`CASE
    WHEN v.value IS NULL OR jsonb_typeof(v.value) = 'null' THEN NULL
    WHEN d.type = 'SELECT' THEN ${typed("string", labelOf(sql`v.value`))}
    WHEN d.type = 'MULTI_SELECT' THEN ${typed(
      "array",
      sql`(SELECT CASE WHEN bool_and(jsonb_typeof(e) = 'string') IS NOT FALSE THEN coalesce(string_agg(${labelOf(sql`e`)}, ', ' ORDER BY n), '') END
        FROM jsonb_array_elements(v.value) WITH ORDINALITY AS x(e, n))`,
    )}
    WHEN d.type = 'BOOLEAN' THEN ${typed("boolean", sql`CASE WHEN v.value = 'true'::jsonb THEN 'Yes' ELSE 'No' END`)}
    WHEN d.type = 'DATE' THEN ${typed("string", sql`CASE WHEN ${text} ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-[0-3][0-9]$' THEN ${date} END`)}
    WHEN d.type = 'DATETIME' THEN ${typed(
      "string",
      sql`CASE WHEN ${text} ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9][.][0-9]{3}Z$' THEN ${dateTime} END`,
    )}
    WHEN d.type = 'NUMBER' THEN ${typed(
      "number",
      // JavaScript writes numbers from 1e21 up, and below 1e-6, with an exponent; PostgreSQL never does.
      sql`CASE WHEN (v.value)::numeric = 0 OR abs((v.value)::numeric) >= 0.000001 AND abs((v.value)::numeric) < 1e21 THEN ${text} END`,
    )}
    ELSE ${typed("string", text)}
  END`;
}

/** An option's label by its value (the first option with it), or the value itself: `labelOf` in custom-value.ts. */
function labelOf(value: Sql): Sql {
  return sql`coalesce((SELECT o ->> 'label' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d.options) = 'array' THEN d.options ELSE '[]'::jsonb END)
    WITH ORDINALITY AS opt(o, n) WHERE o -> 'value' = ${value} ORDER BY n LIMIT 1), ${value} #>> '{}')`;
}

// A moment whose every part tells its form apart: day 5 (5 or 05), hour 3 (3 or 03), minute 7.
const PROBE = new Date(Date.UTC(2026, 8, 5, 3, 7));

/**
 * The SQL that formats an ISO date or date-time text (already checked: four-digit year from
 * 1000) as `format` does, then `suffix`; undefined when a part's form is not one this knows.
 */
function dateSql(format: Intl.DateTimeFormat, suffix: string): Sql | undefined {
  const text = sql`(v.value #>> '{}')`;
  const at = (from: number, length: number) => sql`substr(${text}, ${raw(String(from))}, ${raw(String(length))})`;
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
