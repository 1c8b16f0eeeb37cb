/** The few raw operations that migrations and the hottest writes need, over either pg or PGlite. */
export interface SqlSession {
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

export interface SqlDriver {
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
}
