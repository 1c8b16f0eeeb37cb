import { FieldErrors } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { canonicalLocale, countryCode, isEmail, isHttpUrl, isStorableText, isTimeZone, optionalTags } from "./validate.js";

/** A profile string as it arrives: omitted (undefined), cleared ("" or null), or set. */
type Incoming = string | null | undefined;

interface StringRule {
  max: number;
  /** Returns the value to store, or an error message. */
  check?: (value: string) => { value: string } | { error: string };
}

const plain = (max: number): StringRule => ({ max });

const PROFILE_STRINGS = {
  externalId: plain(255),
  email: {
    max: 255,
    check: (v) => (isEmail(v) ? { value: v } : { error: "Not a valid e-mail address." }),
  },
  phone: plain(50),
  firstName: plain(255),
  lastName: plain(255),
  displayName: plain(255),
  avatarUrl: {
    max: 2048,
    check: (v) => (isHttpUrl(v) ? { value: v } : { error: "Not an http(s) URL." }),
  },
  timezone: {
    max: 64,
    check: (v) => (isTimeZone(v) ? { value: v } : { error: "Not an IANA time zone name, e.g. Europe/Paris." }),
  },
  locale: {
    max: 35,
    check: (v) => {
      const canonical = canonicalLocale(v);
      return canonical ? { value: canonical } : { error: "Not a BCP 47 language tag, e.g. en-GB." };
    },
  },
  title: plain(255),
  company: plain(255),
  role: plain(255),
  accountId: plain(255),
} satisfies Record<string, StringRule>;

export type ProfileStringField = keyof typeof PROFILE_STRINGS;

/** The profile fields a participant shares with its person. */
export const SHARED_PROFILE_FIELDS = ["email", "phone", "firstName", "lastName", "displayName"] as const;

const LOCATION_STRINGS = ["countryName", "stateCode", "stateName", "city", "street", "postalCode", "continent", "regionName"] as const;

export interface LocationInput {
  countryCode?: string | null;
  countryName?: string | null;
  stateCode?: string | null;
  stateName?: string | null;
  city?: string | null;
  street?: string | null;
  postalCode?: string | null;
  timeZone?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  continent?: string | null;
  regionName?: string | null;
}

export interface ConsentInput {
  globalUnsubscribe?: boolean | null;
  emailOptIn?: boolean | null;
  smsOptIn?: boolean | null;
}

export interface IdentityInput {
  system: string;
  id?: string | null;
}

/** The stored values a profile input merges into. */
export type CurrentProfile = { location?: Prisma.JsonValue | null; consent?: Prisma.JsonValue | null; inferredLocation?: Prisma.JsonValue | null } | null;

export type ProfileInput = { [K in ProfileStringField]?: Incoming } & {
  type?: "LEAD" | "USER" | "VISITOR" | null;
  gender?: "MALE" | "FEMALE" | "OTHER" | null;
  score?: number | null;
  signedUpAt?: Date | null;
  location?: LocationInput | null;
  inferredLocation?: LocationInput | null;
  consent?: ConsentInput | null;
  identities?: IdentityInput[] | null;
  tags?: string[] | null;
  addTags?: string[] | null;
  removeTags?: string[] | null;
  firstSeenAt?: Date | null;
  lastSeenAt?: Date | null;
};

/** What a profile input changes besides its columns: tags added or removed, times seen. */
export interface ProfileChanges {
  tags?: { add: string[]; remove: string[] };
  seen?: { first?: Date; last?: Date };
  /** Ids in other systems to set, and systems whose id is removed. */
  identities?: { set: { system: string; id: string }[]; remove: string[] };
}

/**
 * `addTags` / `removeTags` (normalised like `tags`, which they cannot come with) and
 * `firstSeenAt` / `lastSeenAt` (which only move outwards; null is refused).
 */
export function profileChanges(input: ProfileInput, path: string[], errors: FieldErrors): ProfileChanges {
  const changes: ProfileChanges = {};
  if (input.addTags != null || input.removeTags != null) {
    if (input.tags != null) errors.add([...path, input.addTags != null ? "addTags" : "removeTags"], "Give `tags` to replace the set, or `addTags` / `removeTags` to change it, not both.");
    changes.tags = {
      add: optionalTags(input.addTags ?? [], [...path, "addTags"], errors) ?? [],
      remove: optionalTags(input.removeTags ?? [], [...path, "removeTags"], errors) ?? [],
    };
  }
  for (const key of ["firstSeenAt", "lastSeenAt"] as const) {
    if (input[key] === null) errors.add([...path, key], "Cannot be null: a time seen only moves outwards.");
  }
  if (input.firstSeenAt || input.lastSeenAt) changes.seen = { first: input.firstSeenAt ?? undefined, last: input.lastSeenAt ?? undefined };
  if (input.identities === null) errors.add([...path, "identities"], "Cannot be null; send [] or give `id: null` for a system to remove.");
  else if (input.identities) changes.identities = checkIdentities(input.identities, [...path, "identities"], errors);
  return changes;
}

const SYSTEM = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** One id per system: a system named twice, or named badly, is refused; an empty id removes it. */
function checkIdentities(identities: IdentityInput[], path: string[], errors: FieldErrors): NonNullable<ProfileChanges["identities"]> {
  const set: { system: string; id: string }[] = [];
  const remove: string[] = [];
  const seen = new Set<string>();
  identities.forEach(({ system, id }, i) => {
    const key = system.trim();
    if (!SYSTEM.test(key)) errors.add([...path, String(i), "system"], "A system is 1 to 64 letters, digits, _ . : or -.");
    else if (seen.has(key)) errors.add([...path, String(i), "system"], `"${key}" is given more than once.`);
    seen.add(key);
    const value = cleanString(id, plain(255), [...path, String(i), "id"], errors);
    if (value === null) remove.push(key);
    else if (value !== undefined) set.push({ system: key, id: value });
  });
  return { set, remove };
}

/**
 * Turns profile input into the columns to write: omitted fields are left out, "" and null clear,
 * everything else is validated. Errors are collected under `path`, so that a caller can report
 * every bad field at once before anything is written.
 */
export function profileData(input: ProfileInput, path: string[], errors: FieldErrors, current?: CurrentProfile): Prisma.PersonUncheckedUpdateInput {
  const data: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(PROFILE_STRINGS) as [ProfileStringField, StringRule][]) {
    const value = cleanString(input[field], rule, [...path, field], errors);
    if (value !== undefined) data[field] = value;
  }
  for (const field of ["type", "gender", "signedUpAt", "score"] as const) {
    if (input[field] !== undefined) data[field] = input[field];
  }
  const tags = optionalTags(input.tags, [...path, "tags"], errors);
  if (tags !== undefined) data.tags = tags;
  for (const field of ["location", "inferredLocation"] as const) {
    if (input[field] !== undefined) data[field] = mergeLocation(current?.[field], input[field], [...path, field], errors);
  }
  if (input.consent === null) errors.add([...path, "consent"], "Cannot be null; give the choices to change.");
  else if (input.consent) data.consent = mergeConsent(current?.consent, input.consent);
  return data as Prisma.PersonUncheckedUpdateInput;
}

/** One profile string checked by its field's rule: undefined when omitted or invalid, null when cleared. */
export function profileString(field: ProfileStringField, raw: Incoming, path: string[], errors: FieldErrors): string | null | undefined {
  return cleanString(raw, PROFILE_STRINGS[field], path, errors);
}

function cleanString(raw: Incoming, rule: StringRule, path: string[], errors: FieldErrors): string | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  const trimmed = raw.trim();
  if (trimmed === "") return null;
  if (!isStorableText(trimmed)) {
    errors.add(path, "Contains characters that cannot be stored.");
    return undefined;
  }
  if (trimmed.length > rule.max) {
    errors.add(path, `At most ${rule.max} characters.`);
    return undefined;
  }
  if (!rule.check) return trimmed;
  const checked = rule.check(trimmed);
  if ("error" in checked) {
    errors.add(path, checked.error);
    return undefined;
  }
  return checked.value;
}

/** Location merges like the profile: omitted keys stay, "" or null clears one, null clears all. */
function mergeLocation(
  current: Prisma.JsonValue | null | undefined,
  input: LocationInput | null,
  path: string[],
  errors: FieldErrors,
): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (input === null) return Prisma.DbNull;
  const merged: Record<string, unknown> = { ...((current as Record<string, unknown> | null) ?? {}) };
  const set = (key: string, value: unknown) => {
    if (value === null) delete merged[key];
    else merged[key] = value;
  };
  for (const key of LOCATION_STRINGS) {
    const value = cleanString(input[key], plain(255), [...path, key], errors);
    if (value !== undefined) set(key, value);
  }
  const given = cleanString(input.countryCode, plain(3), [...path, "countryCode"], errors);
  const country = given ? countryCode(given) : given;
  if (country === undefined && given) {
    errors.add([...path, "countryCode"], "Not an ISO 3166-1 country code (alpha-2 such as US, alpha-3 such as USA, or numeric such as 840).");
  } else if (input.countryCode !== undefined && country !== undefined) set("countryCode", country);
  const timeZone = cleanString(input.timeZone, PROFILE_STRINGS.timezone, [...path, "timeZone"], errors);
  if (timeZone !== undefined) set("timeZone", timeZone);
  for (const [key, limit] of [["latitude", 90], ["longitude", 180]] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (value !== null && (!Number.isFinite(value) || Math.abs(value) > limit)) {
      errors.add([...path, key], `Must be between -${limit} and ${limit}.`);
    } else set(key, value);
  }
  return Object.keys(merged).length === 0 ? Prisma.DbNull : (merged as Prisma.InputJsonValue);
}

const CONSENT_CHOICES = ["globalUnsubscribe", "emailOptIn", "smsOptIn"] as const;

/**
 * Consent choices merge into the stored ones: a choice given replaces that choice, the others
 * stay. `updatedAt` is when any choice last changed.
 */
function mergeConsent(current: Prisma.JsonValue | null | undefined, input: ConsentInput): Prisma.InputJsonValue {
  const before = (current as Record<string, unknown> | null) ?? {};
  const after: Record<string, unknown> = { ...before };
  // A choice set to null is no choice: it is left out, as if never made.
  for (const key of CONSENT_CHOICES) {
    if (input[key] === null) delete after[key];
    else if (input[key] !== undefined) after[key] = input[key];
  }
  const changed = CONSENT_CHOICES.some((key) => (after[key] ?? null) !== (before[key] ?? null));
  return { ...after, updatedAt: changed ? new Date().toISOString() : (before.updatedAt ?? null) } as Prisma.InputJsonValue;
}
