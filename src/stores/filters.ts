import { assertBucketAccess, type Caller } from "../auth/api-key.js";
import { FieldErrors } from "../errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import type { Status } from "../generated/prisma/enums.js";
import { DEFAULT_BUCKET } from "../services/attributes.js";
import { escapeLike, normaliseTags } from "../services/validate.js";
import { and, join, sql, type Sql } from "./sql.js";

/** The filters of `people` and `participants`, as the GraphQL inputs carry them. */
export interface FilterInput {
  status?: Status | null;
  tagsAny?: string[] | null;
  tagsAll?: string[] | null;
  externalId?: string | null;
  email?: string | null;
  search?: string | null;
  attributes?: { key: string; equals?: unknown; bucket?: string | null }[] | null;
  customFields?: { key: string; equals?: unknown }[] | null;
  identity?: { system: string; id?: string | null } | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  updatedAfter?: Date | null;
  updatedBefore?: Date | null;
}

interface Scope {
  caller: Caller;
  errors: FieldErrors;
  path: string[];
}

/**
 * One filter field: how it reads on persons (a Prisma condition) and on participants (SQL over
 * `participant p JOIN person pe`), side by side. A list without a compilation has no such filter.
 */
interface FilterField<V> {
  people?: (value: V, scope: Scope) => Prisma.PersonWhereInput;
  participants?: (value: V, scope: Scope) => Sql;
}

type Fields = { [K in keyof FilterInput]-?: FilterField<NonNullable<FilterInput[K]>> };

/** Case-insensitive equality; Prisma compiles it to ILIKE, so wildcards are escaped. */
export const insensitive = (value: string) => ({ equals: escapeLike(value.trim()), mode: "insensitive" as const });
const contains = (value: string) => ({ contains: escapeLike(value), mode: "insensitive" as const });
const tags = (value: string[], { path, errors }: Scope) => normaliseTags(value, path, errors);
const SEARCHED = ["firstName", "lastName", "displayName", "email"] as const;
const SEARCHED_COLUMNS = [sql`pe.first_name`, sql`pe.last_name`, sql`pe.display_name`, sql`pe.email`];
const json = (value: unknown) => sql`${JSON.stringify(value ?? null)}::jsonb`;

const range = (field: "createdAt" | "updatedAt", column: Sql, side: "gt" | "lt"): FilterField<Date> => ({
  people: (value) => ({ [field]: { [side]: value } }),
  participants: (value) => (side === "gt" ? sql`${column} > ${value.toISOString()}::timestamptz` : sql`${column} < ${value.toISOString()}::timestamptz`),
});

export const FILTER_FIELDS: Fields = {
  status: {
    people: (value) => ({ status: value }),
    participants: (value) => sql`p.status::text = ${value}`,
  },
  tagsAny: {
    people: (value, scope) => ({ tags: { hasSome: tags(value, scope) } }),
    participants: (value, scope) => sql`p.tags && ${tags(value, scope)}::text[]`,
  },
  tagsAll: {
    people: (value, scope) => ({ tags: { hasEvery: tags(value, scope) } }),
    participants: (value, scope) => sql`p.tags @> ${tags(value, scope)}::text[]`,
  },
  externalId: {
    people: (value) => ({ externalId: value }),
    participants: (value) => sql`p.external_id = ${value}`,
  },
  email: {
    people: (value) => ({ email: insensitive(value) }),
    participants: (value) => sql`lower(pe.email) = lower(${value.trim()})`,
  },
  search: {
    people: (value) => (value.trim() ? { OR: SEARCHED.map((field) => ({ [field]: contains(value.trim()) })) } : {}),
    participants: (value) => {
      if (!value.trim()) return sql`TRUE`;
      const pattern = `%${escapeLike(value.trim())}%`;
      return sql`(${join(SEARCHED_COLUMNS.map((column) => sql`${column} ILIKE ${pattern}`), " OR ")})`;
    },
  },
  // A person's attributes are in buckets, which the key must be allowed to read: a filter on a
  // bucket answers questions about its values. A participant has one map and no buckets.
  attributes: {
    people: (list, { caller }) => ({
      AND: list.map(({ key, equals, bucket }) => {
        const name = bucket ?? DEFAULT_BUCKET;
        assertBucketAccess(caller, name);
        return { attributes: { some: { key, bucket: { name }, value: { equals: equals as Prisma.InputJsonValue } } } };
      }),
    }),
    participants: (list, { errors, path }) =>
      and(
        list.map(({ key, equals, bucket }, i) => {
          if (bucket != null && bucket !== DEFAULT_BUCKET) errors.add([...path, String(i), "bucket"], "A participant's attributes have no buckets; omit `bucket`.");
          return sql`p.attributes -> ${key} = ${json(equals)}`;
        }),
      ),
  },
  customFields: {
    people: (list) => ({
      AND: list.map(({ key, equals }) => ({
        fieldValues: { some: { field: { key, programId: null }, value: { equals: equals as Prisma.InputJsonValue } } },
      })),
    }),
    participants: (list) =>
      and(
        list.map(
          ({ key, equals }) => sql`EXISTS (SELECT 1 FROM custom_field_value v JOIN custom_field_definition d ON d.id = v.field_id
            WHERE v.participant_id = p.id AND d.key = ${key} AND v.value = ${json(equals)})`,
        ),
      ),
  },
  identity: {
    people: ({ system, id }, { errors, path }) => {
      if (!id) errors.add([...path, "id"], "Give the id to look for.");
      return { identities: { some: { system, externalId: id ?? "" } } };
    },
  },
  createdAfter: range("createdAt", sql`p.created_at`, "gt"),
  createdBefore: range("createdAt", sql`p.created_at`, "lt"),
  updatedAfter: range("updatedAt", sql`p.updated_at`, "gt"),
  updatedBefore: range("updatedAt", sql`p.updated_at`, "lt"),
};

/** Compiles every given field for one list; a bad value is refused with its path before any read. */
function compile<T>(list: "people" | "participants", filter: FilterInput | null | undefined, caller: Caller): T[] {
  const errors = new FieldErrors();
  const compiled: T[] = [];
  for (const [name, value] of Object.entries(filter ?? {})) {
    if (value == null) continue;
    const field = FILTER_FIELDS[name as keyof FilterInput] as FilterField<unknown>;
    const compileFor = field[list] as ((value: unknown, scope: Scope) => T) | undefined;
    if (compileFor) compiled.push(compileFor(value, { caller, errors, path: ["filter", name] }));
  }
  errors.throwIfAny();
  return compiled;
}

export const personWhere = (filter: FilterInput | null | undefined, caller: Caller): Prisma.PersonWhereInput => ({
  AND: compile<Prisma.PersonWhereInput>("people", filter, caller),
});

export const participantConditions = (filter: FilterInput | null | undefined, caller: Caller): Sql[] =>
  compile<Sql>("participants", filter, caller);
