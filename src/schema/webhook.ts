import { WebhookDeliveryStatus } from "../generated/prisma/enums.js";
import { visibleTo } from "../services/changes.js";
import { builder } from "./builder.js";
import { ChangeOperationEnum, ChangeRef, EntityTypeEnum } from "./change.js";
import { DeletePayload, NodeInterface, pageArgs } from "./common.js";
import { connectionOf } from "./connection.js";

const WebhookDeliveryStatusEnum = builder.enumType(WebhookDeliveryStatus, { name: "WebhookDeliveryStatus" });

const WebhookDeliveryRef = builder.prismaObject("WebhookDelivery", {
  interfaces: [NodeInterface],
  description: "One change sent to one endpoint: at least once, retried with backoff until it succeeds or fails for good.",
  fields: (t) => ({
    id: t.exposeID("id"),
    change: t.field({
      type: ChangeRef,
      resolve: async (delivery, _args, ctx) => {
        const change = (await ctx.loaders.changeById.load(delivery.changeId))!;
        return visibleTo(ctx.caller, change) ?? { ...change, fields: [] };
      },
    }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt("attempts"),
    lastStatusCode: t.exposeInt("lastStatusCode", { nullable: true }),
    lastError: t.exposeString("lastError", { nullable: true }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const WebhookDeliveryConnection = connectionOf("WebhookDelivery", WebhookDeliveryRef);

const kinds = <T,>(list: T[]) => (list.length ? list : null);

const WebhookEndpointRef = builder.prismaObject("WebhookEndpoint", {
  interfaces: [NodeInterface],
  description: "Where changes are POSTed, signed per Standard Webhooks with the endpoint's secret.",
  fields: (t) => ({
    id: t.exposeID("id"),
    url: t.exposeString("url"),
    description: t.exposeString("description", { nullable: true }),
    entityTypes: t.field({ type: [EntityTypeEnum], nullable: true, description: "null: every kind.", resolve: (e) => kinds(e.entityTypes) }),
    operations: t.field({ type: [ChangeOperationEnum], nullable: true, description: "null: every kind.", resolve: (e) => kinds(e.operations) }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    deliveries: t.field({
      type: WebhookDeliveryConnection,
      description: "Newest first.",
      args: { first: pageArgs.first, after: pageArgs.after, status: t.arg({ type: WebhookDeliveryStatusEnum }) },
      resolve: (endpoint, args, ctx) => ctx.services.webhooks.deliveries(endpoint.id, args) as never,
    }),
  }),
});

const CreatedWebhookEndpoint = builder.objectRef<{ endpoint: typeof WebhookEndpointRef.$inferType; secret: string }>("CreatedWebhookEndpoint").implement({
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (created) => created.endpoint }),
    secret: t.exposeString("secret", { description: 'Shown this once ("whsec_…"); verify signatures with it.' }),
  }),
});

const WebhookEndpointInput = builder.inputType("WebhookEndpointInput", {
  fields: (t) => ({
    url: t.string({ required: true }),
    description: t.string(),
    entityTypes: t.field({ type: [EntityTypeEnum] }),
    operations: t.field({ type: [ChangeOperationEnum] }),
    enabled: t.boolean({ defaultValue: true }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType("UpdateWebhookEndpointInput", {
  fields: (t) => ({
    url: t.string(),
    description: t.string(),
    entityTypes: t.field({ type: [EntityTypeEnum] }),
    operations: t.field({ type: [ChangeOperationEnum] }),
    enabled: t.boolean(),
  }),
});

builder.queryField("webhookEndpoints", (t) =>
  t.field({ type: [WebhookEndpointRef], authScopes: { admin: true }, resolve: (_root, _args, ctx) => ctx.services.webhooks.list() }),
);

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreatedWebhookEndpoint,
    authScopes: { admin: true },
    description: "Loopback, private and link-local targets are refused unless the server allows them (WEBHOOK_ALLOW_PRIVATE).",
    args: { input: t.arg({ type: WebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.webhooks.create(input),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointRef,
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.webhooks.update(String(id), input),
  }),
  deleteWebhookEndpoint: t.field({
    type: DeletePayload,
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ deletedId: await ctx.services.webhooks.delete(String(id)) }),
  }),
  rotateWebhookSecret: t.field({
    type: CreatedWebhookEndpoint,
    authScopes: { admin: true },
    description: "A new secret; deliveries from now on are signed with it.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.webhooks.rotateSecret(String(id)),
  }),
  redeliverWebhook: t.field({
    type: WebhookDeliveryRef,
    authScopes: { admin: true },
    description: "Sends a delivery again now, whatever its status.",
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: (_root, { deliveryId }, ctx) => ctx.services.webhooks.redeliver(String(deliveryId)),
  }),
}));
