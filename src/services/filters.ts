import type { Prisma } from "../generated/prisma/client.js";
import { assertBucketAccess, type Caller } from "../auth/api-key.js";
import { FieldErrors } from "../errors.js";
import { DEFAULT_BUCKET } from "./attributes.js";
import { escapeLike, normaliseTags } from "./validate.js";

type Status = "ACTIVE" | "SUSPENDED" | "CLOSED";

export interface CommonFilter {
  status?: Status | null;
  tagsAny?: string[] | null;
  tagsAll?: string[] | null;
  externalId?: string | null;
  email?: string | null;
  search?: string | null;
  attributes?: { key: string; equals?: unknown; bucket?: string | null }[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  updatedAfter?: Date | null;
  updatedBefore?: Date | null;
}

export interface ParticipantFilterInput extends CommonFilter {
  customFields?: { key: string; equals?: unknown }[] | null;
}

/** Case-insensitive equality; Prisma compiles it to ILIKE, so wildcards are escaped. */
export const insensitive = (value: string) => ({ equals: escapeLike(value.trim()), mode: "insensitive" as const });
const contains = (value: string) => ({ contains: escapeLike(value), mode: "insensitive" as const });

/** Filters both lists share, on the columns of the row itself. */
function rowConditions(filter: CommonFilter, errors: FieldErrors): Record<string, unknown>[] {
  const and: Record<string, unknown>[] = [];
  if (filter.status) and.push({ status: filter.status });
  if (filter.tagsAny) and.push({ tags: { hasSome: normaliseTags(filter.tagsAny, ["filter", "tagsAny"], errors) } });
  if (filter.tagsAll) and.push({ tags: { hasEvery: normaliseTags(filter.tagsAll, ["filter", "tagsAll"], errors) } });
  if (filter.externalId != null) and.push({ externalId: filter.externalId });
  const createdAt = range(filter.createdAfter, filter.createdBefore);
  if (createdAt) and.push({ createdAt });
  const updatedAt = range(filter.updatedAfter, filter.updatedBefore);
  if (updatedAt) and.push({ updatedAt });
  return and;
}

function range(after?: Date | null, before?: Date | null) {
  if (!after && !before) return undefined;
  return { ...(after ? { gt: after } : {}), ...(before ? { lt: before } : {}) };
}

/** The person-side conditions: e-mail and free-text search over names and e-mail. */
function personConditions(filter: CommonFilter): Prisma.PersonWhereInput[] {
  const and: Prisma.PersonWhereInput[] = [];
  if (filter.email != null) and.push({ email: insensitive(filter.email) });
  const search = filter.search?.trim();
  if (search) {
    and.push({
      OR: [
        { firstName: contains(search) },
        { lastName: contains(search) },
        { displayName: contains(search) },
        { email: contains(search) },
      ],
    });
  }
  return and;
}

export function personWhere(filter: CommonFilter | null | undefined, caller: Caller): Prisma.PersonWhereInput {
  if (!filter) return {};
  const errors = new FieldErrors();
  const and: Prisma.PersonWhereInput[] = [...rowConditions(filter, errors), ...personConditions(filter)];
  for (const { key, equals, bucket = DEFAULT_BUCKET } of filter.attributes ?? []) {
    // A filter on a bucket answers questions about its values: it needs the key to read it.
    assertBucketAccess(caller, bucket ?? DEFAULT_BUCKET);
    and.push({ attributes: { some: { key, bucket: { name: bucket ?? DEFAULT_BUCKET }, value: { equals: equals as Prisma.InputJsonValue } } } });
  }
  errors.throwIfAny();
  return { AND: and };
}
