import type { Caller } from "../auth/api-key.js";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { WebhookConfig } from "../config.js";
import type { Database } from "../db/client.js";
import type { ChangeEvents } from "../events/change-events.js";
import type { Loaders } from "../loaders/index.js";
import type { Stores } from "../stores/index.js";
import type { ProgramIdCache } from "./program-ids.js";

/**
 * What every service of one request works with: the caller's workspace-scoped client, the
 * caller (whose scopes and buckets the services check on entry), the request's loaders, the
 * workspace's stores and word of committed changes.
 */
export interface RequestScope {
  db: ScopedPrisma;
  /** The database itself, for the few writes that run on the driver (inDriverTransaction). */
  database: Database;
  caller: Caller;
  loaders: Loaders;
  stores: Stores;
  programIds: ProgramIdCache;
  /** Word of committed changes, for live readers. */
  events: ChangeEvents;
  /** How webhook targets are checked. */
  webhooks: WebhookConfig;
}
