import type { Runner } from "graphile-worker";
import type { DatabaseConfig, WebhookConfig } from "../config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logger.js";
import { attemptDelivery } from "./delivery.js";

export interface WebhookWorker {
  stop(): Promise<void>;
}

const TASK = "deliver_webhook";

/**
 * Works the outbox. On PostgreSQL, graphile-worker on the same database: jobs written in the
 * changes' own transactions, claimed by one worker of any instance, retried at the times each
 * attempt asks for. On the embedded database, this process looks for due deliveries itself.
 */
export function startWebhookWorker(deps: { db: Database; database: DatabaseConfig; webhooks: WebhookConfig; logger: Logger }): Promise<WebhookWorker> {
  return deps.database.kind === "postgres" ? jobEngineWorker(deps, deps.database.url) : inProcessWorker(deps);
}

async function jobEngineWorker({ db, webhooks, logger }: { db: Database; webhooks: WebhookConfig; logger: Logger }, connectionString: string): Promise<WebhookWorker> {
  // Loaded here: a process on the embedded database never needs it.
  const { Logger: WorkerLogger, run } = await import("graphile-worker");
  const runner: Runner = await run({
    connectionString,
    maxPoolSize: 4,
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 2_000,
    logger: new WorkerLogger(() => (level, message, meta) => {
      if (level === "error") logger.error({ meta }, message);
      else logger.debug({ meta }, message);
    }),
    taskList: {
      [TASK]: async (payload, helpers) => {
        const { deliveryId } = payload as { deliveryId: string };
        const next = await attemptDelivery(db, deliveryId, webhooks);
        if (next) await helpers.addJob(TASK, { deliveryId }, { runAt: next, jobKey: deliveryId });
      },
    },
  });
  // Deliveries written before the job engine's schema existed, or whose job died with its
  // worker (a job engine waits hours before taking a dead worker's job back): queued again.
  await db.query(`SELECT enqueue_webhook_delivery(id, coalesce(next_attempt_at, now())) FROM webhook_delivery WHERE status = 'PENDING'`, []);
  return { stop: () => runner.stop() };
}

const LOOK_EVERY_MS = 500;

async function inProcessWorker({ db, webhooks, logger }: { db: Database; webhooks: WebhookConfig; logger: Logger }): Promise<WebhookWorker> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const look = async () => {
    try {
      const due = await db.query<{ id: string }>(
        `SELECT id FROM webhook_delivery WHERE status = 'PENDING' AND next_attempt_at <= now() ORDER BY position LIMIT 50`,
        [],
      );
      for (const { id } of due) if (!stopped) await attemptDelivery(db, id, webhooks);
    } catch (error) {
      if (!stopped) logger.error({ err: error }, "webhook delivery failed");
    }
    if (!stopped) timer = setTimeout(() => (running = look()), LOOK_EVERY_MS);
  };
  running = look();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
