import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { isEmail, isHttpUrl, isStorableText } from "./validate.js";

export type FieldType = CustomFieldDefinition["type"];
export interface Option {
  value: string;
  label: string;
}
type Definition = Pick<CustomFieldDefinition, "type" | "options">;
export type Parsed = { ok: true; value: string | number | boolean | string[] } | { ok: false; error: string };

const TEXT_MAX = 10_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// An ISO 8601 date-time with a zone (Z or an offset): a value without one is ambiguous.
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function optionsOf(def: Definition): Option[] {
  return Array.isArray(def.options) ? (def.options as unknown as Option[]) : [];
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, "1": true, "0": false };

/** An option by its value, or else by its value or label in any case; two such matches are ambiguous. */
function optionFor(options: Option[], given: string): { value: string } | { error: string } {
  const exact = options.find((o) => o.value === given);
  if (exact) return { value: exact.value };
  const folded = given.toLowerCase();
  const matches = options.filter((o) => o.value.toLowerCase() === folded || o.label.toLowerCase() === folded);
  if (matches.length === 1) return { value: matches[0]!.value };
  return { error: matches.length ? `"${given}" matches more than one option of this field.` : `"${given}" is not an option of this field.` };
}

/** "A, B" as options: the whole text when it names one, else its comma-separated parts. */
function splitOptions(options: Option[], text: string): string[] {
  if (text === "") return [];
  return "value" in optionFor(options, text) ? [text] : text.split(",").map((part) => part.trim()).filter(Boolean);
}

const fail = (error: string): Parsed => ({ ok: false, error });
const ok = (value: string | number | boolean | string[]): Parsed => ({ ok: true, value });

function isRealDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() + 1 === Number(m[2]) && d.getUTCDate() === Number(m[3]);
}

/**
 * Checks a value against a field's type and returns what is stored. `lenient` also accepts values
 * of another type that convert without loss; it is used when a definition's type changes, so that
 * every stored value is converted or the change is refused.
 */
export function parseCustomValue(def: Definition, input: unknown, lenient = false): Parsed {
  const options = optionsOf(def);
  const text = typeof input === "string" ? input.trim() : lenient && (typeof input === "number" || typeof input === "boolean") ? String(input) : undefined;
  switch (def.type) {
    case "TEXT":
      if (text === undefined) return lenient && Array.isArray(input) ? ok(input.join(", ")) : fail("Expected a string.");
      if (text.length > TEXT_MAX) return fail(`At most ${TEXT_MAX} characters.`);
      return isStorableText(text) ? ok(text) : fail("Contains characters that cannot be stored.");
    // Systems that keep everything as text send numbers and booleans as strings: taken where
    // the text can mean one thing only.
    case "NUMBER": {
      const n = typeof input === "number" ? input : text !== undefined && NUMERIC.test(text) ? Number(text) : Number.NaN;
      return Number.isFinite(n) ? ok(n) : fail("Expected a finite number.");
    }
    case "BOOLEAN": {
      if (typeof input === "boolean") return ok(input);
      const word = typeof input === "number" ? String(input) : text?.toLowerCase();
      if (word !== undefined && word in BOOLEAN_WORDS) return ok(BOOLEAN_WORDS[word]!);
      return fail("Expected true or false (or yes/no, 1/0).");
    }
    case "DATE": {
      const candidate = lenient && text && DATETIME.test(text) ? new Date(text).toISOString().slice(0, 10) : text;
      return candidate !== undefined && isRealDate(candidate) ? ok(candidate) : fail("Expected a date as YYYY-MM-DD.");
    }
    case "DATETIME": {
      const candidate = lenient && text && isRealDate(text) ? `${text}T00:00:00Z` : text;
      if (candidate === undefined || !DATETIME.test(candidate) || !isRealDate(candidate.slice(0, 10))) {
        return fail("Expected an ISO 8601 date-time with a time zone, e.g. 2026-01-15T10:30:00Z.");
      }
      const date = new Date(candidate);
      return Number.isNaN(date.getTime()) ? fail("Not a valid date-time.") : ok(date.toISOString());
    }
    case "SELECT": {
      const single = lenient && Array.isArray(input) && input.length === 1 ? String(input[0]) : text;
      if (single === undefined) return fail("Expected one option value.");
      const option = optionFor(options, single);
      return "value" in option ? ok(option.value) : fail(option.error);
    }
    case "MULTI_SELECT": {
      // A text-only system sends the labels it showed, joined by commas.
      const list = Array.isArray(input) ? input : text !== undefined ? splitOptions(options, text) : undefined;
      if (!list || !list.every((v) => typeof v === "string")) return fail("Expected a list of option values.");
      const values: string[] = [];
      for (const item of list as string[]) {
        const option = optionFor(options, item.trim());
        if ("error" in option) return fail(option.error);
        values.push(option.value);
      }
      return ok([...new Set(values)]);
    }
    case "EMAIL":
      return text !== undefined && isEmail(text) ? ok(text) : fail("Expected an e-mail address.");
    case "URL":
      return text !== undefined && isHttpUrl(text) ? ok(text) : fail("Expected an http(s) URL.");
  }
}

/** How dates are shown; the direct reads build their SQL formatting from these same formatters. */
export const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
export const dateTimeFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** The human form of a stored value: option labels, formatted dates, the text itself. */
export function displayValue(def: Definition, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (!CACHED.has(def.type) || typeof value === "object") return format(def, value);
  // A page shows the same few options and dates on every row: each is formatted once per
  // definition object (that is, once per request).
  let known = formatted.get(def);
  if (!known) formatted.set(def, (known = new Map()));
  let text = known.get(value);
  if (text === undefined) known.set(value, (text = format(def, value)));
  return text;
}

const formatted = new WeakMap<Definition, Map<unknown, string>>();
const CACHED = new Set<FieldType>(["SELECT", "BOOLEAN", "DATE", "DATETIME"]);

function labelOf(def: Definition, value: unknown): string {
  return optionsOf(def).find((o) => o.value === value)?.label ?? String(value);
}

function format(def: Definition, value: unknown): string {
  switch (def.type) {
    case "SELECT":
      return labelOf(def, value);
    case "MULTI_SELECT":
      return (value as unknown[]).map((v) => labelOf(def, v)).join(", ");
    case "BOOLEAN":
      return value ? "Yes" : "No";
    case "DATE":
      return dateFormat.format(new Date(`${String(value)}T00:00:00Z`));
    case "DATETIME":
      return `${dateTimeFormat.format(new Date(String(value)))} UTC`;
    default:
      return String(value);
  }
}
