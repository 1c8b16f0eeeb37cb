import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { createRateLimiter } from "./auth/rate-limit.js";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { runWithTally } from "./db/statement-counter.js";
import type { Logger } from "./logger.js";
import { memoryQueryStore, redisQueryStore } from "./persisted-queries.js";
import { ensureDemo } from "./services/demo.js";
import { renderStoredDisplays } from "./services/stored-display.js";
import { changeEvents } from "./events/change-events.js";
import { startWebhookWorker } from "./webhooks/worker.js";
import { serveGraphqlWs } from "./graphql-ws.js";

// Stopping: accept for up to ACCEPT_GRACE_MS until DRAIN_QUIET_MS pass without a new request,
// then wait up to the drain timeout (`SHUTDOWN_TIMEOUT_MS`, 30 s) for the requests in flight,
// then give the database and Redis CLOSE_TIMEOUT_MS to close. A request still blocked then (on a
// row lock, say) is cut off: its transaction rolls back when the connection goes.
const ACCEPT_GRACE_MS = 5_000;
const DRAIN_QUIET_MS = 250;
const CLOSE_TIMEOUT_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

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
    config.seedDemo ? await ensureDemo(db.prisma, config.demoKeyDir) : undefined;
  // In the background: reads are right without it, only slower until it is done.
  let stopped = false;
  const rendered = renderStoredDisplays(db, () => stopped).then(
    (count) => count > 0 && logger.info({ count }, "stored displays rendered"),
    (error: unknown) => !stopped && logger.warn({ err: error }, "rendering the stored displays failed; reads format values themselves"),
  );
  const rateLimiter = createRateLimiter({ perMinute: config.rateLimitPerMinute, redisUrl: config.redisUrl, logger });
  const queryStore = config.redisUrl ? redisQueryStore(config.redisUrl) : memoryQueryStore();
  const events = changeEvents(config.redisUrl);
  const webhookWorker = await startWebhookWorker({ db, database: config.database, webhooks: config.webhooks, logger });
  const app = createApp({
    events,
    db,
    config,
    logger,
    rateLimiter,
    queryStore,
    graphiqlHeaders: demoApiKey ? { Authorization: `Bearer ${demoApiKey}` } : undefined,
  });
  // With SQL_STATEMENTS_HEADER, each request counts its own SQL statements and the app reports
  // them in X-SQL-Statements. Only then: the count rides on AsyncLocalStorage, whose hooks slow
  // every promise of the process once a store is entered.
  const handle = config.sqlStatementsHeader ? (req: IncomingMessage, res: ServerResponse) => runWithTally({ count: 0 }, () => app(req, res)) : app;
  let draining = false;
  let active = 0;
  let lastStarted = 0;
  const server = createServer((req, res) => {
    active++;
    lastStarted = Date.now();
    res.on("close", () => active--);
    // While draining, keep-alive connections are told to go once their request is answered.
    if (draining) res.setHeader("connection", "close");
    void handle(req, res);
  });
  // Over WebSocket only when any operation may run: a list of trusted documents is enforced on
  // HTTP requests, where subscriptions also work (server-sent events).
  const sockets = config.persistedOperations?.only ? undefined : serveGraphqlWs(server, app, db, config.limits.maxBodyBytes);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      const stopStarted = Date.now();
      const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
      // First keep accepting until requests stop arriving: connections the kernel has already
      // accepted but Node has not yet picked up would be reset if the listener closed now.
      while (Date.now() - Math.max(lastStarted, stopStarted) < DRAIN_QUIET_MS && Date.now() - stopStarted < ACCEPT_GRACE_MS) {
        await sleep(20);
      }
      // Then stop accepting, without http.Server#close's closing of idle sockets, and let every
      // request in flight finish.
      net.Server.prototype.close.call(server);
      // Subscriptions (server-sent events, WebSockets) would otherwise never finish.
      events.stopListening();
      await Promise.race([sockets?.close(), sleep(CLOSE_TIMEOUT_MS)]);
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (active > 0 && Date.now() < deadline) await sleep(20);
      server.closeAllConnections();
      await Promise.race([closed, sleep(CLOSE_TIMEOUT_MS)]);
      stopped = true;
      await Promise.race([Promise.all([webhookWorker.stop(), rendered]), sleep(CLOSE_TIMEOUT_MS)]);
      await Promise.race([Promise.allSettled([rateLimiter.close(), queryStore.close(), events.close(), db.close()]), sleep(CLOSE_TIMEOUT_MS)]);
    })());
  return { url, server, db, demoApiKey, stop };
}
