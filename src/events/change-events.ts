import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import type { Redis } from "ioredis";
import { redisClient } from "../db/redis.js";

/**
 * Word that a workspace's change feed has grown: published after a write commits, to the
 * subscriptions and the webhook worker of this process and, with Redis, of every instance. It
 * carries no changes: readers read the feed from where they are, so a lost word costs only a
 * delay (they also look on their own every few seconds) and never a change.
 */
export interface ChangeEvents {
  committed(workspaceId: string): void;
  /** Word that an API key was revoked or rotated: every instance forgets it from its key cache. */
  keyRevoked(apiKeyId: string): void;
  /** Calls `forget` with every key revoked from now on, until the events close. */
  onKeyRevoked(forget: (apiKeyId: string) => void): void;
  /** Ends every listener (live readers finish, so that a stopping server can drain). */
  stopListening(): void;
  /** Word about one workspace, waited for at most `lookEveryMs` at a time. */
  listen(workspaceId: string): Listener;
  close(): Promise<void>;
}

export interface Listener {
  /** Resolves on word, or when it is time to look anyway: true; false once the server is stopping. */
  next(): Promise<boolean>;
  close(): void;
}

type Topics = { changes: [workspaceId: string, payload: true]; keys: [apiKeyId: string] };

/**
 * The event target sends SUBSCRIBE, UNSUBSCRIBE and PUBLISH without waiting for them: one still
 * queued when the client closes (an instance stopped right after it started) must end quietly,
 * not as an unhandled rejection. Word lost that way costs a delay, as above.
 */
function unawaited(client: Redis): Redis {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop === "subscribe" || prop === "unsubscribe" || prop === "publish") {
        return (...args: unknown[]) => (value.apply(target, args) as Promise<unknown>).catch(() => undefined);
      }
      return value.bind(target);
    },
  });
}

/** How long a reader waits for word before it looks at the feed on its own. */
const LOOK_EVERY_MS = 2_000;

export function changeEvents(redisUrl?: string, { lookEveryMs = LOOK_EVERY_MS } = {}): ChangeEvents {
  // The event target needs clients that queue commands while they connect (unlike the request
  // path's clients, db/redis.ts): a subscription made at start-up must not be lost.
  // No ready check: its INFO, sent when a connection opens, would fail on a client whose
  // SUBSCRIBE went out first, and the client would drop the subscription reconnecting.
  const clients = redisUrl ? [new (redisClient())(redisUrl), new (redisClient())(redisUrl, { enableReadyCheck: false })] : [];
  for (const client of clients) client.on("error", () => {});
  const pubsub = createPubSub<Topics>(clients.length ? { eventTarget: createRedisEventTarget({ publishClient: unawaited(clients[0]!), subscribeClient: unawaited(clients[1]!) }) } : {});
  let stopping = false;
  const stopped = new Set<() => void>();
  const keyListeners: AsyncIterator<string>[] = [];
  return {
    committed: (workspaceId) => pubsub.publish("changes", workspaceId, true),
    keyRevoked: (apiKeyId) => pubsub.publish("keys", apiKeyId),
    onKeyRevoked(forget) {
      const revoked = pubsub.subscribe("keys")[Symbol.asyncIterator]();
      const next = (): void => void revoked.next().then((word) => !word.done && (forget(word.value), next()), () => {});
      next();
      keyListeners.push(revoked);
    },
    stopListening() {
      stopping = true;
      for (const stop of stopped) stop();
    },
    listen(workspaceId) {
      const words = pubsub.subscribe("changes", workspaceId)[Symbol.asyncIterator]();
      // Subscribed at once: word sent before the first wait is not missed.
      let pending: Promise<IteratorResult<unknown>> | undefined = words.next();
      return {
        async next() {
          if (stopping) return false;
          pending ??= words.next();
          let timer: NodeJS.Timeout | undefined;
          let stop: (() => void) | undefined;
          const woke = await Promise.race([
            pending.then((word) => (word.done ? "closed" : "word")),
            new Promise<"look" | "stop">((resolve) => {
              timer = setTimeout(resolve, lookEveryMs, "look");
              stopped.add((stop = () => resolve("stop")));
            }),
          ]);
          clearTimeout(timer);
          stopped.delete(stop!);
          if (woke === "word") pending = undefined;
          return woke !== "closed" && !stopping;
        },
        close: () => void words.return?.(),
      };
    },
    async close() {
      this.stopListening();
      for (const listener of keyListeners) void listener.return?.();
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}
