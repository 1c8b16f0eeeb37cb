import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Counts the SQL statements actually sent to the database, per request (through an async scope)
 * The adapter wrapper below is the only place that sees every statement, including
 * those inside transactions, so query-count tests and the benchmark measure SQL, not resolvers.
 */
export interface StatementTally {
  count: number;
  /** The texts sent, when asked for (tests that pin what a request's SQL looks like). */
  texts?: string[];
}

const scope = new AsyncLocalStorage<StatementTally>();
export async function countStatements<T>(fn: () => Promise<T>, { texts = false } = {}): Promise<{ result: T; statements: number; texts: string[] }> {
  const tally: StatementTally = { count: 0, ...(texts ? { texts: [] } : {}) };
  const result = await scope.run(tally, fn);
  return { result, statements: tally.count, texts: tally.texts ?? [] };
}

export function runWithTally<T>(tally: StatementTally, fn: () => T): T {
  return scope.run(tally, fn);
}

/** The tally of the request being served, if the server opened one. */
export function currentTally(): StatementTally | undefined {
  return scope.getStore();
}

/** Counts one statement (sent outside Prisma: see Database.query), and keeps its text when asked. */
export function record(text?: string): void {
  const tally = scope.getStore();
  if (!tally) return;
  tally.count++;
  if (text !== undefined) tally.texts?.push(text);
}

const COUNTED = new Set(["queryRaw", "executeRaw"]);

function wrapQueryable<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function") return value;
      if (COUNTED.has(prop as string)) {
        return (...args: unknown[]) => {
          record((args[0] as { sql?: string } | undefined)?.sql);
          return value.apply(obj, args);
        };
      }
      if (prop === "startTransaction") {
        return async (...args: unknown[]) => wrapQueryable(await value.apply(obj, args));
      }
      return value.bind(obj);
    },
  });
}

/** Wraps a Prisma driver adapter factory so that every statement it sends is counted. */
export function countingAdapter<T extends { connect(): Promise<object> }>(factory: T): T {
  return new Proxy(factory, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (prop === "connect" && typeof value === "function") {
        return async () => wrapQueryable(await value.apply(obj));
      }
      return typeof value === "function" ? value.bind(obj) : value;
    },
  });
}
