import http from "node:http";
import https from "node:https";
import { useAgent } from "request-filtering-agent";
import { SCOPES, type Caller } from "../auth/api-key.js";
import type { WebhookConfig } from "../config.js";
import type { Database } from "../db/client.js";
import { visibleTo } from "../services/changes.js";
import { changeStore, type ChangeRow } from "../stores/change-store.js";
import { signedHeaders } from "./signature.js";

const TIMEOUT_MS = 10_000;
// While one attempt is under way no other worker takes the same delivery (a job engine may hold
// two jobs for one delivery after a crash); longer than an attempt can take.
const LEASE_SECONDS = 15;

interface DueDelivery {
  id: string;
  workspaceId: string;
  changeId: string;
  entityId: string;
  position: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  url: string;
  secret: string;
  buckets: string[] | null;
  enabled: boolean;
}

/** The body of a delivery: the change as the graph shows it, typed after Standard Webhooks. */
export function webhookMessage(change: ChangeRow): string {
  const { position, ...rest } = change;
  return JSON.stringify({
    type: `${change.entityType.toLowerCase()}.${change.operation.toLowerCase()}`,
    timestamp: new Date(change.at).toISOString(),
    data: { ...rest, sequence: position },
  });
}

/**
 * One attempt at one delivery, if it is due: sent in the feed's order per entity (an earlier
 * delivery of the same entity to the same endpoint that is still pending goes first), signed,
 * recorded. Returns when to look at it again, or undefined when it is done with (delivered,
 * failed for good, gone, or its endpoint disabled).
 */
export async function attemptDelivery(db: Database, deliveryId: string, config: WebhookConfig): Promise<Date | undefined> {
  const [delivery] = await db.query<DueDelivery>(
    `SELECT d.id, d.workspace_id AS "workspaceId", d.change_id AS "changeId", d.entity_id AS "entityId", d.position::text AS position,
            d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt", d.created_at AS "createdAt", e.url, e.secret, e.buckets, e.enabled
     FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id WHERE d.id = $1::uuid`,
    [deliveryId],
  );
  if (!delivery || delivery.status !== "PENDING" || !delivery.enabled) return undefined;
  const [earlier] = await db.query<{ nextAttemptAt: Date | null }>(
    `SELECT next_attempt_at AS "nextAttemptAt" FROM webhook_delivery
     WHERE endpoint_id = (SELECT endpoint_id FROM webhook_delivery WHERE id = $1::uuid) AND entity_id = $2::uuid AND status = 'PENDING' AND position < $3::numeric
     ORDER BY position LIMIT 1`,
    [deliveryId, delivery.entityId, delivery.position],
  );
  // Its turn comes when the earlier one is done with (wakeNextOfEntity); looking again after the
  // earlier one's next attempt is only the fallback.
  if (earlier) return new Date(Math.max(Date.now(), earlier.nextAttemptAt?.getTime() ?? 0) + 1_000);
  if (delivery.nextAttemptAt && delivery.nextAttemptAt.getTime() > Date.now()) return delivery.nextAttemptAt;
  const claimed = await db.query(
    `UPDATE webhook_delivery SET next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
     WHERE id = $1::uuid AND status = 'PENDING' AND next_attempt_at <= now() RETURNING id`,
    [deliveryId],
  );
  if (claimed.length === 0) return new Date(Date.now() + LEASE_SECONDS * 1_000);

  const [change] = await changeStore(db, delivery.workspaceId).byIds([delivery.changeId]);
  // The endpoint's creator could not read every bucket: neither can the endpoint.
  const reader: Caller = { workspaceId: delivery.workspaceId, apiKeyId: "", scopes: new Set(SCOPES), buckets: delivery.buckets, source: "webhook" };
  const body = webhookMessage((change && visibleTo(reader, change)) ?? { ...change!, fields: [] });
  const outcome = await post(delivery.url, signedHeaders(delivery.secret, delivery.changeId, new Date(), body), body, config.allowPrivate);
  const attempts = delivery.attempts + 1;
  if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) {
    await db.query(
      `UPDATE webhook_delivery SET status = 'SUCCEEDED', attempts = $2, last_status_code = $3, last_error = NULL, delivered_at = now(), next_attempt_at = NULL WHERE id = $1::uuid`,
      [deliveryId, attempts, outcome.status],
    );
    await wakeNextOfEntity(db, deliveryId);
    return undefined;
  }
  const next = new Date(Date.now() + config.retryBaseSeconds * 1_000 * 2 ** (attempts - 1));
  const givingUp = next.getTime() > delivery.createdAt.getTime() + config.retryHours * 3_600_000;
  await db.query(
    `UPDATE webhook_delivery SET status = $2::"WebhookDeliveryStatus", attempts = $3, last_status_code = $4, last_error = $5, next_attempt_at = $6 WHERE id = $1::uuid`,
    [deliveryId, givingUp ? "FAILED" : "PENDING", attempts, outcome.status ?? null, outcome.error ?? `HTTP ${outcome.status}`, givingUp ? null : next],
  );
  if (givingUp) await wakeNextOfEntity(db, deliveryId);
  return givingUp ? undefined : next;
}

/** The entity's next delivery to the same endpoint waited for this one: its turn has come. */
async function wakeNextOfEntity(db: Database, deliveryId: string): Promise<void> {
  await db.query(
    `SELECT enqueue_webhook_delivery(next.id, now())::text FROM webhook_delivery done
     CROSS JOIN LATERAL (SELECT id FROM webhook_delivery WHERE endpoint_id = done.endpoint_id AND entity_id = done.entity_id AND status = 'PENDING'
                         ORDER BY position LIMIT 1) next
     WHERE done.id = $1::uuid`,
    [deliveryId],
  );
}

/**
 * One POST, no redirects followed (a 3xx is a failure), at most 10 s, to a public address only
 * unless private ones are allowed: the agent checks the address actually connected to.
 */
function post(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const request = (target.protocol === "https:" ? https : http).request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "participant-graph-webhooks" },
        agent: useAgent(url, { allowPrivateIPAddress: allowPrivate }),
        timeout: TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode }));
        response.on("error", (error) => resolve({ status: response.statusCode, error: error.message }));
      },
    );
    request.on("timeout", () => request.destroy(new Error(`No answer within ${TIMEOUT_MS / 1000} s`)));
    request.on("error", (error) => resolve({ error: error.message }));
    request.end(body);
  });
}
