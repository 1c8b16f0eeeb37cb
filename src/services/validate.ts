import countries from "i18n-iso-countries";
import { FieldErrors } from "../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot exist, and must not reach a uuid column as a query error. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

// Deliberately permissive (RFC 5322 allows far more than anyone uses) but rejects what is clearly
// not an address: spaces, missing @ or domain dot.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function isEmail(value: string): boolean {
  return value.length <= 255 && EMAIL.test(value);
}

export function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

const TIME_ZONES = new Set([...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC", "GMT"]);

export function isTimeZone(value: string): boolean {
  if (TIME_ZONES.has(value)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return value.includes("/");
  } catch {
    return false;
  }
}

export function canonicalLocale(value: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    return canonical;
  } catch {
    return undefined;
  }
}

/**
 * An ISO 3166-1 country code as alpha-2: alpha-2 (`US`), alpha-3 (`USA`) and numeric (`840`)
 * codes are accepted, any case; undefined for anything else (`ZZ`).
 */
export function countryCode(value: string): string | undefined {
  const code = value.trim().toUpperCase();
  const alpha2 = /^\d{1,3}$/.test(code) ? countries.numericToAlpha2(code.padStart(3, "0")) : code.length === 3 ? countries.alpha3ToAlpha2(code) : code;
  return alpha2 && countries.isValid(alpha2) ? alpha2 : undefined;
}

export const TAG_RULES = { maxLength: 64, maxCount: 100 };

/** Tags are a set: trimmed, lower-cased, de-duplicated; each 1–64 characters, at most 100. */
export function normaliseTags(tags: readonly string[], path: string[], errors: FieldErrors): string[] {
  const set = new Set<string>();
  tags.forEach((raw, i) => {
    const tag = raw.trim().toLowerCase();
    if (tag.length < 1 || [...tag].length > TAG_RULES.maxLength) {
      errors.add([...path, String(i)], `A tag must have 1 to ${TAG_RULES.maxLength} characters.`);
    } else {
      set.add(tag);
    }
  });
  if (set.size > TAG_RULES.maxCount) errors.add(path, `At most ${TAG_RULES.maxCount} tags.`);
  return [...set].sort();
}

/** Tags from an input where omitted means untouched and null is refused. */
export function optionalTags(tags: readonly string[] | null | undefined, path: string[], errors: FieldErrors): string[] | undefined {
  if (tags === undefined) return undefined;
  if (tags === null) {
    errors.add(path, "Tags cannot be null; send [] to remove them all.");
    return undefined;
  }
  return normaliseTags(tags, path, errors);
}

/** Strings that PostgreSQL cannot store (NUL) or that are not well-formed UTF-16. */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

/**
 * Text for LIKE / ILIKE with `%`, `_` and `\` taken literally (backslash is PostgreSQL's default
 * escape). Prisma's `contains` and insensitive `equals` are LIKE underneath and escape nothing.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
