import { keyStillValid, mayUseBucket, type Caller } from "../auth/api-key.js";
import { Repeater } from "graphql-yoga";
import { InvalidInput, Unauthenticated } from "../errors.js";
import type { ChangeCriteria, ChangeRow } from "../stores/change-store.js";
import { PAGE_SIZE, pageSize, type Page } from "./pagination.js";
import type { RequestScope } from "./scope.js";
import { isUuid } from "./validate.js";

/** The feed's filter as clients give it: a program by its key. */
export type ChangeFilterInput = Omit<ChangeCriteria, "programId"> & { programKey?: string | null };

// Keys and webhook endpoints are the admin's business, like the queries that list them.
const ADMIN_ONLY = new Set(["API_KEY", "WEBHOOK_ENDPOINT"]);

/** A feed position as a cursor: opaque to clients, checked when it comes back. */
export const changeCursor = (position: string) => Buffer.from(JSON.stringify(["change", position])).toString("base64url");

export function positionOf(cursor: string, argument = "after"): string {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 2 && parts[0] === "change" && typeof parts[1] === "string" && /^\d{1,30}$/.test(parts[1])) return parts[1];
  throw InvalidInput.field([argument], "Not a cursor of the change feed.");
}

/**
 * What a key may see of a change: none of the paths of buckets it may not use (and no change at
 * all when nothing else is left, or when the change is of such a bucket itself); keys and webhook
 * endpoints only to admin keys.
 */
export function visibleTo(caller: Caller, change: ChangeRow): ChangeRow | undefined {
  if (ADMIN_ONLY.has(change.entityType) && !caller.scopes.has("admin")) return undefined;
  if (caller.buckets === null) return change;
  if (change.entityType === "ATTRIBUTE_BUCKET") {
    const name = change.fields.find((f) => f.path[0] === "name");
    const bucket = (name?.after ?? name?.before) as string | undefined;
    return bucket !== undefined && mayUseBucket(caller, bucket) ? change : undefined;
  }
  const fields = change.fields.filter((f) => !(change.entityType === "PERSON" && f.path[0] === "attributes" && !mayUseBucket(caller, f.path[1]!)));
  if (fields.length === change.fields.length) return change;
  return fields.length > 0 || change.operation !== "UPDATED" ? { ...change, fields } : undefined;
}

/**
 * A page of changes from rows read one beyond the page. The cursors advance over changes the key
 * may not see, so that a consumer never reads them again; an empty page hands back the cursor
 * it was given, to store and ask with again.
 */
function changePage(caller: Caller, read: ChangeRow[], size: number, after: string | null | undefined, total: () => Promise<number>): Page<ChangeRow> {
  const page = read.slice(0, size);
  const edges = page.flatMap((row) => {
    const shown = visibleTo(caller, row);
    return shown ? [{ cursor: changeCursor(row.position), node: shown }] : [];
  });
  const last = page.at(-1);
  return {
    edges,
    pageInfo: {
      hasNextPage: read.length > size,
      hasPreviousPage: after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: last ? changeCursor(last.position) : (after ?? null),
    },
    totalCount: total,
  };
}

/** The change history of the caller's workspace. */
export function changeService({ db, caller, stores, programIds, events }: RequestScope) {
  async function criteria(filter: ChangeFilterInput | null | undefined): Promise<ChangeCriteria | undefined> {
    const allowed = (types: readonly string[]) => (caller.scopes.has("admin") ? types : types.filter((t) => !ADMIN_ONLY.has(t)));
    const entityTypes = allowed(filter?.entityTypes ?? ["PERSON", "PARTICIPANT", "PROGRAM", "CUSTOM_FIELD", "ATTRIBUTE_BUCKET", "API_KEY", "WEBHOOK_ENDPOINT"]);
    if (filter?.entityId != null && !isUuid(filter.entityId)) return undefined;
    let programId: string | undefined;
    if (filter?.programKey != null) {
      programId = await programIds.get(db, caller.workspaceId, filter.programKey);
      if (!programId) return undefined;
    }
    return { ...filter, entityTypes, programId };
  }

  /** The changes after a position the key may see, and the position reached. */
  async function since(position: string, filter: ChangeFilterInput | null | undefined): Promise<{ changes: ChangeRow[]; reached: string }> {
    const where = await criteria(filter);
    const read = where ? await stores.changes.feed(where, position, PAGE_SIZE.max) : [];
    return { changes: read.flatMap((row) => visibleTo(caller, row) ?? []), reached: read.at(-1)?.position ?? position };
  }

  return {
    /** The feed, oldest first, from a cursor on. Criteria that match nothing give an empty page. */
    async feed(args: { first?: number | null; after?: string | null; filter?: ChangeFilterInput | null }): Promise<Page<ChangeRow>> {
      const size = pageSize(args.first, "first");
      const after = args.after != null ? positionOf(args.after) : null;
      const where = await criteria(args.filter);
      const read = where ? await stores.changes.feed(where, after, size + 1) : [];
      return changePage(caller, read, size, args.after, async () => (where ? stores.changes.count(where) : 0));
    },

    /** One entity's history, newest first. */
    async history(entityId: string, args: { first?: number | null; after?: string | null }): Promise<Page<ChangeRow>> {
      const size = pageSize(args.first, "first");
      const before = args.after != null ? positionOf(args.after) : null;
      const read = await stores.changes.history(entityId, before, size + 1);
      return changePage(caller, read, size, args.after, () => stores.changes.count({ entityId }, false));
    },

    /**
     * Changes as they commit, after replaying those after `after` (or from now on without it).
     * Between words from writers it looks on its own every few seconds (writes from the command
     * line, a lost word, a transaction that settled later); each look re-checks the key, and a
     * revoked key ends the subscription.
     */
    live(filter: ChangeFilterInput | null | undefined, after: string | null | undefined): AsyncIterable<ChangeRow> {
      // A Repeater, not a generator: a client that goes away stops it at once, even while it waits.
      return new Repeater<ChangeRow>(async (push, stop) => {
        let stopped = false;
        void stop.then(() => (stopped = true));
        let position = after != null ? positionOf(after) : await stores.changes.horizon();
        const listener = events.listen(caller.workspaceId);
        try {
          while (!stopped) {
            if (!(await keyStillValid(db, caller.apiKeyId))) throw new Unauthenticated("The API key was revoked.");
            const { changes, reached } = await since(position, filter);
            const moved = reached !== position;
            position = reached;
            for (const change of changes) await push(change);
            if (!moved && !(await Promise.race([listener.next(), stop.then(() => false)]))) break;
          }
        } finally {
          listener.close();
        }
        stop();
      });
    },
  };
}
