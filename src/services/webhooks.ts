import { inTransaction } from "../db/transaction.js";
import { FieldErrors, NotFound } from "../errors.js";
import type { ChangeOperation, EntityType, WebhookDeliveryStatus } from "../generated/prisma/enums.js";
import type { WebhookDelivery, WebhookEndpoint } from "../generated/prisma/client.js";
import { DELIVERY_SORT } from "../stores/sorts.js";
import { newWebhookSecret } from "../webhooks/signature.js";
import { checkWebhookUrl } from "../webhooks/target.js";
import { keysetPage, type Page, type PageArgs } from "./pagination.js";
import type { RequestScope } from "./scope.js";
import { isUuid } from "./validate.js";

export interface WebhookEndpointInput {
  url?: string | null;
  description?: string | null;
  entityTypes?: EntityType[] | null;
  operations?: ChangeOperation[] | null;
  enabled?: boolean | null;
}

const DESCRIPTION_MAX = 1_000;

/** Webhook endpoints and their deliveries, for one request (admin keys; the schema checks). */
export function webhookService({ db, caller, webhooks: config }: RequestScope) {
  async function requireEndpoint(id: string): Promise<WebhookEndpoint> {
    const endpoint = isUuid(id) ? await db.webhookEndpoint.findUnique({ where: { id } }) : null;
    if (!endpoint) throw new NotFound("Webhook endpoint");
    return endpoint;
  }

  /** The columns an input sets; null lists mean every kind. */
  async function checked(input: WebhookEndpointInput) {
    const errors = new FieldErrors();
    for (const key of ["url", "enabled"] as const) if (input[key] === null) errors.add(["input", key], "Cannot be null.");
    if (input.description && input.description.length > DESCRIPTION_MAX) errors.add(["input", "description"], `At most ${DESCRIPTION_MAX} characters.`);
    for (const key of ["entityTypes", "operations"] as const) if (input[key]?.length === 0) errors.add(["input", key], "Omit it (or null) for every kind; an empty list would match nothing.");
    errors.throwIfAny();
    return {
      ...(input.url != null ? { url: await checkWebhookUrl(input.url, config.allowPrivate) } : {}),
      ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
      ...(input.entityTypes !== undefined ? { entityTypes: input.entityTypes ?? [] } : {}),
      ...(input.operations !== undefined ? { operations: input.operations ?? [] } : {}),
      ...(input.enabled != null ? { enabled: input.enabled } : {}),
    };
  }

  /** Pending deliveries handed to the job engine again (after an endpoint is enabled, or by hand). */
  const requeue = (tx: Parameters<Parameters<typeof inTransaction>[2]>[0], where: { endpointId?: string; id?: string }) =>
    tx.$executeRaw`SELECT enqueue_webhook_delivery(id, now()) FROM webhook_delivery
      WHERE status = 'PENDING' AND workspace_id = ${caller.workspaceId}::uuid
        AND (${where.endpointId ?? null}::uuid IS NULL OR endpoint_id = ${where.endpointId ?? null}::uuid)
        AND (${where.id ?? null}::uuid IS NULL OR id = ${where.id ?? null}::uuid)`;

  return {
    list: () => db.webhookEndpoint.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),

    async create(input: WebhookEndpointInput & { url: string }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const data = await checked(input);
      const secret = newWebhookSecret();
      const endpoint = await inTransaction(db, caller, (tx) =>
        tx.webhookEndpoint.create({
          data: { workspaceId: caller.workspaceId, url: data.url!, enabled: true, ...data, secret, buckets: caller.buckets ? [...caller.buckets] : undefined },
        }),
      );
      return { endpoint, secret };
    },

    async update(id: string, input: WebhookEndpointInput): Promise<WebhookEndpoint> {
      const current = await requireEndpoint(id);
      const data = await checked(input);
      return inTransaction(db, caller, async (tx) => {
        const endpoint = await tx.webhookEndpoint.update({ where: { id: current.id }, data: { ...data, updatedAt: new Date() } });
        if (!current.enabled && endpoint.enabled) await requeue(tx, { endpointId: endpoint.id });
        return endpoint;
      });
    },

    async delete(id: string): Promise<string> {
      const endpoint = await requireEndpoint(id);
      await inTransaction(db, caller, (tx) => tx.webhookEndpoint.deleteMany({ where: { id: endpoint.id } }));
      return endpoint.id;
    },

    async rotateSecret(id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      await requireEndpoint(id);
      const secret = newWebhookSecret();
      const endpoint = await inTransaction(db, caller, (tx) => tx.webhookEndpoint.update({ where: { id }, data: { secret, updatedAt: new Date() } }));
      return { endpoint, secret };
    },

    /** Tries a delivery again now, whatever became of it; a failed one gets one more attempt. */
    async redeliver(deliveryId: string): Promise<WebhookDelivery> {
      const delivery = isUuid(deliveryId) ? await db.webhookDelivery.findUnique({ where: { id: deliveryId } }) : null;
      if (!delivery) throw new NotFound("Webhook delivery");
      return inTransaction(db, caller, async (tx) => {
        const updated = await tx.webhookDelivery.update({ where: { id: delivery.id }, data: { status: "PENDING", nextAttemptAt: new Date(), deliveredAt: null } });
        await requeue(tx, { id: delivery.id });
        return updated;
      });
    },

    deliveries(endpointId: string, args: PageArgs & { status?: WebhookDeliveryStatus | null }): Promise<Page<WebhookDelivery>> {
      const where = { endpointId, ...(args.status ? { status: args.status } : {}) };
      return keysetPage(args, DELIVERY_SORT, where, (q) => db.webhookDelivery.findMany(q as object), (q) => db.webhookDelivery.count(q as object));
    },
  };
}
