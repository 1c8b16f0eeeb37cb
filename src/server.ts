import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { createRateLimiter } from "./auth/rate-limit.js";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { runWithTally } from "./db/statement-counter.js";
import type { Logger } from "./logger.js";
import { ensureDemo } from "./services/demo.js";

export interface RunningServer {
  url: string;
  server: Server;
  db: Database;
  demoApiKey: string | undefined;
  stop(): Promise<void>;
}

/** Opens the database, applies migrations, and listens. The only module that binds a port. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = await openDatabase(config.database);
  try {
    const applied = await migrate(db.driver);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");
  } catch (error) {
    await db.close();
    throw error;
  }
  const demoApiKey =
    config.database.kind === "pglite" && config.seedDemo ? await ensureDemo(db.prisma, config.database.dataDir) : undefined;
  const rateLimiter = createRateLimiter({ perMinute: config.rateLimitPerMinute, redisUrl: config.redisUrl, logger });
  const app = createApp({
    db,
    config,
    logger,
    rateLimiter,
    graphiqlHeaders: demoApiKey ? { Authorization: `Bearer ${demoApiKey}` } : undefined,
  });
  // Each request counts its own SQL statements; the app reports them in X-SQL-Statements.
  const server = createServer((req, res) => runWithTally({ count: 0 }, () => app(req, res)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop accepting, let in-flight requests finish, then close the database.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await rateLimiter.close();
      await db.close();
    })());
  return { url, server, db, demoApiKey, stop };
}
