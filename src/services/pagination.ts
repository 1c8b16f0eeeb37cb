import { InvalidInput } from "../errors.js";
import { isStorableText, isUuid } from "./validate.js";

export const PAGE_SIZE = { default: 20, max: 100 };

/** Forward with `first` / `after`, or backward with `last` / `before` (Relay's `loadPrevious`). */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** One ordering: a column (possibly through a to-one relation), its direction and nullability. */
export interface SortSpec {
  /** The list the cursor belongs to: a cursor of one list is refused by another. */
  list: string;
  path: string[];
  direction: "asc" | "desc";
  kind: "date" | "string" | "int";
  nullable: boolean;
  /** The column, for lists read in SQL (a name this code owns, never input). */
  column?: string;
  /** Where nulls of a nullable column go: last, except in the reversed order of a backward page. */
  nullsFirst?: boolean;
}

/** The same ordering run backwards: what comes before a cursor comes after it here. */
export function reversed(sort: SortSpec): SortSpec {
  return { ...sort, direction: sort.direction === "asc" ? "desc" : "asc", nullsFirst: !sort.nullsFirst };
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when the client asks for it. */
  totalCount: () => Promise<number>;
}

type Where = Record<string, unknown>;
/** A cursor read back: the sort value of the last row seen (a Date for dates) and its id. */
export type DecodedCursor = [value: Date | string | number | null, id: string];

/** `{ a: { b: leaf } }` for the path a.b. */
export function nest(path: string[], leaf: unknown): Where {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Where;
}

function read(row: unknown, path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], row);
}

/** A page size as a client gave it, checked: default 20, at most 100. */
export function pageSize(value: number | null | undefined, arg: "first" | "last"): number {
  const size = value ?? PAGE_SIZE.default;
  if (!Number.isInteger(size) || size < 0 || size > PAGE_SIZE.max) {
    throw InvalidInput.field([arg], `Must be between 0 and ${PAGE_SIZE.max}.`);
  }
  return size;
}

/** Which way a page goes, how many rows it holds, and the cursor it starts from. */
function pageWindow(args: PageArgs): { backward: boolean; size: number; cursor: string | null | undefined } {
  const backward = args.last != null || args.before != null;
  if (backward && (args.first != null || args.after != null)) {
    throw InvalidInput.field([], "Page forward with `first` and `after`, or backward with `last` and `before`, not both.");
  }
  return backward
    ? { backward, size: pageSize(args.last, "last"), cursor: args.before }
    : { backward, size: pageSize(args.first, "first"), cursor: args.after };
}

/** What a cursor was made for: the list, the sort path and its direction. */
const orderingOf = (sort: SortSpec) => `${sort.list}:${sort.path.join(".")}:${sort.direction}`;

// What PostgreSQL's int4 and timestamptz (as JavaScript dates reach them) can hold.
const INT4 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const YEARS = { min: 1, max: 9999 };

function encodeCursor(sort: SortSpec, row: { id: string }): string {
  const value = read(row, sort.path);
  const plain = value instanceof Date ? value.toISOString() : ((value as string | number | null | undefined) ?? null);
  return Buffer.from(JSON.stringify([orderingOf(sort), plain, row.id])).toString("base64url");
}

/** A sort value read back from a cursor, or undefined when it cannot be one of this ordering. */
function sortValue(sort: SortSpec, value: unknown): Date | string | number | null | undefined {
  if (value === null) return sort.nullable ? null : undefined;
  switch (sort.kind) {
    case "date": {
      if (typeof value !== "string") return undefined;
      const date = new Date(value);
      const year = date.getUTCFullYear();
      return Number.isNaN(date.getTime()) || year < YEARS.min || year > YEARS.max ? undefined : date;
    }
    case "int":
      return Number.isInteger(value) && (value as number) >= INT4.min && (value as number) <= INT4.max ? (value as number) : undefined;
    case "string":
      return typeof value === "string" && isStorableText(value) ? value : undefined;
  }
}

/**
 * A cursor is refused unless it was made by the same ordering of the same list and every part of
 * it is a value the database can compare: a forged or foreign cursor is the client's mistake.
 */
function decodeCursor(sort: SortSpec, cursor: string, argument: "after" | "before"): DecodedCursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 3 && parts[0] === orderingOf(sort) && isUuid(parts[2])) {
    const value = sortValue(sort, parts[1]);
    if (value !== undefined) return [value, parts[2]];
  }
  throw InvalidInput.field([argument], "Not a cursor of this list and ordering.");
}

/**
 * The rows after a cursor, as a keyset condition: (sort value, id) strictly beyond the cursor's,
 * nulls where the ordering puts them. Unlike an offset it stays correct while rows are inserted.
 */
function afterCursor(sort: SortSpec, [value, id]: DecodedCursor): Where {
  const beyond = sort.direction === "asc" ? "gt" : "lt";
  const nullsFirst = sort.nullable && sort.nullsFirst;
  if (value === null) {
    const sameNull = { AND: [nest(sort.path, null), { id: { [beyond]: id } }] };
    return nullsFirst ? { OR: [sameNull, nest(sort.path, { not: null })] } : sameNull;
  }
  return {
    OR: [
      nest(sort.path, { [beyond]: value }),
      { AND: [nest(sort.path, value), { id: { [beyond]: id } }] },
      ...(sort.nullable && !nullsFirst ? [nest(sort.path, null)] : []),
    ],
  };
}

export function orderBy(sort: SortSpec): Where[] {
  const leaf = sort.nullable ? { sort: sort.direction, nulls: sort.nullsFirst ? "first" : "last" } : sort.direction;
  return [nest(sort.path, leaf), { id: sort.direction }];
}

/**
 * Loads one page with one row more than asked for, to learn whether another follows. `load` gets
 * how many rows to take, the decoded cursor to start after, and the ordering to read in: a
 * backward page reads the reversed ordering after its `before` cursor and turns the rows round.
 * Cursors always speak of the ordering the client asked for.
 */
export async function keysetPageBy<T extends { id: string }>(
  args: PageArgs,
  sort: SortSpec,
  load: (take: number, after: DecodedCursor | undefined, order: SortSpec) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const { backward, size, cursor } = pageWindow(args);
  const from = cursor ? decodeCursor(sort, cursor, backward ? "before" : "after") : undefined;
  const rows = size === 0 ? [] : await load(size + 1, from, backward ? reversed(sort) : sort);
  const nodes = rows.slice(0, size);
  if (backward) nodes.reverse();
  const edges = nodes.map((node) => new Edge(node, sort));
  const more = rows.length > size;
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? Boolean(cursor) : more,
      hasPreviousPage: backward ? more : Boolean(cursor),
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    totalCount: () => (total ??= count()),
  };
}

/** An edge's cursor is made when a client selects it: most pages of a list never show one. */
class Edge<T extends { id: string }> {
  constructor(
    readonly node: T,
    private readonly sort: SortSpec,
  ) {}

  get cursor(): string {
    return encodeCursor(this.sort, this.node);
  }
}

/**
 * One page through Prisma. `findMany` and `count` are the model's own, so tenant scoping and
 * plugin-planned includes apply unchanged.
 */
export function keysetPage<T extends { id: string }>(
  args: PageArgs,
  sort: SortSpec,
  where: Where,
  findMany: (query: { where: Where; orderBy: Where[]; take: number }) => Promise<T[]>,
  count: (query: { where: Where }) => Promise<number>,
): Promise<Page<T>> {
  return keysetPageBy(
    args,
    sort,
    (take, after, order) => findMany({ where: after ? { AND: [where, afterCursor(order, after)] } : where, orderBy: orderBy(order), take }),
    () => count({ where }),
  );
}
