import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";

/**
 * Word that a workspace's change feed has grown: published after a write commits, to the
 * subscriptions and the webhook worker of this process and, with Redis, of every instance. It
 * carries no changes: readers read the feed from where they are, so a lost word costs only a
 * delay (they also look on their own every few seconds) and never a change.
 */
export interface ChangeEvents {
  committed(workspaceId: string): void;
  /** Waits for word about a workspace, or at most `ms`. */
  listen(workspaceId: string): Listener;
  close(): Promise<void>;
}

export interface Listener {
  next(ms: number): Promise<void>;
  close(): void;
}

type Topics = { changes: [workspaceId: string, payload: true] };

export function changeEvents(redisUrl?: string): ChangeEvents {
  // The event target needs clients that queue commands while they connect (unlike the request
  // path's clients, db/redis.ts): a subscription made at start-up must not be lost.
  const clients = redisUrl ? [new Redis(redisUrl), new Redis(redisUrl)] : [];
  for (const client of clients) client.on("error", () => {});
  const pubsub = createPubSub<Topics>(clients.length ? { eventTarget: createRedisEventTarget({ publishClient: clients[0]!, subscribeClient: clients[1]! }) } : {});
  return {
    committed: (workspaceId) => pubsub.publish("changes", workspaceId, true),
    listen(workspaceId) {
      const words = pubsub.subscribe("changes", workspaceId)[Symbol.asyncIterator]();
      let pending: Promise<unknown> | undefined;
      return {
        async next(ms) {
          pending ??= words.next();
          let timer: NodeJS.Timeout | undefined;
          const woke = await Promise.race([pending.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)))]);
          clearTimeout(timer);
          if (woke) pending = undefined;
        },
        close: () => void words.return?.(),
      };
    },
    async close() {
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}
