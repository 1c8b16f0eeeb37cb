import { InvalidInput } from "../errors.js";

export const PAGE_SIZE = { default: 20, max: 100 };

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** One ordering: a column (possibly through a to-one relation), its direction and nullability. */
export interface SortSpec {
  path: string[];
  direction: "asc" | "desc";
  kind: "date" | "string" | "int";
  nullable: boolean;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when the client asks for it. */
  totalCount: () => Promise<number>;
}

type Where = Record<string, unknown>;
type Cursor = [value: string | number | null, id: string];
/** A cursor read back: the sort value of the last row seen (a Date for dates) and its id. */
export type DecodedCursor = [value: Date | string | number | null, id: string];

function nest(path: string[], leaf: unknown): Where {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Where;
}

function read(row: unknown, path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], row);
}

export function pageSize(args: PageArgs): number {
  const first = args.first ?? PAGE_SIZE.default;
  if (!Number.isInteger(first) || first < 0 || first > PAGE_SIZE.max) {
    throw InvalidInput.field(["first"], `Must be between 0 and ${PAGE_SIZE.max}.`);
  }
  return first;
}

function encodeCursor(sort: SortSpec, row: { id: string }): string {
  const value = read(row, sort.path);
  const plain = value instanceof Date ? value.toISOString() : ((value as string | number | null | undefined) ?? null);
  return Buffer.from(JSON.stringify([plain, row.id] satisfies Cursor)).toString("base64url");
}

function decodeCursor(sort: SortSpec, cursor: string): DecodedCursor {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Cursor;
    if (typeof id !== "string" || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error("bad id");
    if (value === null) return [null, id];
    if (sort.kind === "date") {
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw new Error("bad date");
      return [date, id];
    }
    if (sort.kind === "int" ? !Number.isInteger(value) : typeof value !== "string") throw new Error("bad value");
    return [value, id];
  } catch {
    throw InvalidInput.field(["after"], "Not a cursor of this list.");
  }
}

/**
 * The rows after a cursor, as a keyset condition: (sort value, id) strictly beyond the cursor's,
 * with nulls last in either direction. Unlike an offset it stays correct while rows are inserted.
 */
function afterCursor(sort: SortSpec, [value, id]: DecodedCursor): Where {
  const beyond = sort.direction === "asc" ? "gt" : "lt";
  if (value === null) return { AND: [nest(sort.path, null), { id: { [beyond]: id } }] };
  return {
    OR: [
      nest(sort.path, { [beyond]: value }),
      { AND: [nest(sort.path, value), { id: { [beyond]: id } }] },
      ...(sort.nullable ? [nest(sort.path, null)] : []),
    ],
  };
}

export function orderBy(sort: SortSpec): Where[] {
  const leaf = sort.nullable ? { sort: sort.direction, nulls: "last" } : sort.direction;
  return [nest(sort.path, leaf), { id: sort.direction }];
}

/**
 * Loads one page with `first + 1` rows to learn whether another follows: `load` gets how many
 * rows to take and the decoded cursor to start after.
 */
export async function keysetPageBy<T extends { id: string }>(
  args: PageArgs,
  sort: SortSpec,
  load: (take: number, after: DecodedCursor | undefined) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const first = pageSize(args);
  const after = args.after ? decodeCursor(sort, args.after) : undefined;
  const rows = first === 0 ? [] : await load(first + 1, after);
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(sort, node), node }));
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (total ??= count()),
  };
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
    (take, after) => findMany({ where: after ? { AND: [where, afterCursor(sort, after)] } : where, orderBy: orderBy(sort), take }),
    () => count({ where }),
  );
}
