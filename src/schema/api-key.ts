import type { ScopeName } from "../auth/api-key.js";
import type { createApiKey } from "../services/workspace.js";
import { builder } from "./builder.js";
import { NodeInterface, ScopeEnum } from "./common.js";

const toScopeEnum = (scope: string) => scope.toUpperCase() as "READ" | "WRITE" | "ADMIN";

export const ApiKeyRef = builder.prismaObject("ApiKey", {
  interfaces: [NodeInterface],
  description: "An API key. Its secret is shown once, at creation; only a hash is stored.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    scopes: t.field({ type: [ScopeEnum], resolve: (key) => key.scopes.map(toScopeEnum) }),
    buckets: t.stringList({
      nullable: true,
      description: "The attribute buckets this key may use; null means all.",
      resolve: (key) => (key.bucketsRestricted ? key.buckets : null),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

const CreatedApiKey = builder.objectRef<{ apiKey: Awaited<ReturnType<typeof createApiKey>>["apiKey"]; secret: string }>("CreatedApiKey").implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (created) => created.apiKey }),
    secret: t.exposeString("secret", { description: "Shown this once; store it now." }),
  }),
});

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [ScopeEnum], required: true }),
    buckets: t.stringList({ description: "Limit the key to these attribute buckets; omit for all." }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKey,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.apiKeys.create({ name: input.name, scopes: input.scopes.map((s) => s.toLowerCase() as ScopeName), buckets: input.buckets }),
  }),
  rotateApiKey: t.field({
    type: CreatedApiKey,
    authScopes: { admin: true },
    description: "A new secret for the same name, scopes and buckets; the old secret stops working on the next request.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.rotate(String(id)),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { admin: true },
    description: "Takes effect on the next request.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(String(id)),
  }),
}));

builder.queryField("apiKeys", (t) =>
  t.field({
    type: [ApiKeyRef],
    authScopes: { admin: true },
    description: "The workspace's API keys, newest first (never their secrets).",
    args: { includeRevoked: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, { includeRevoked }, ctx) => ctx.services.apiKeys.list(includeRevoked ?? false),
  }),
);
