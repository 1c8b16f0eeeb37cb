import type { ScopeName } from "../auth/api-key.js";
import { createApiKey, revokeApiKey } from "../services/workspace.js";
import { builder } from "./builder.js";
import { NodeInterface, ScopeEnum } from "./common.js";

export const WorkspaceRef = builder.prismaObject("Workspace", {
  interfaces: [NodeInterface],
  description: "A tenant: every row belongs to exactly one workspace.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

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

const Viewer = builder.objectRef<{ workspaceId: string; apiKeyId: string }>("Viewer").implement({
  description: "The caller: its workspace and API key.",
  fields: (t) => ({
    workspace: t.prismaField({
      type: "Workspace",
      resolve: (query, viewer, _args, ctx) => ctx.db.workspace.findUniqueOrThrow({ ...query, where: { id: viewer.workspaceId } }),
    }),
    apiKey: t.prismaField({
      type: "ApiKey",
      resolve: (query, viewer, _args, ctx) => ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: viewer.apiKeyId } }),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: Viewer, resolve: (_root, _args, ctx) => ({ workspaceId: ctx.caller.workspaceId, apiKeyId: ctx.caller.apiKeyId }) }),
);

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
      createApiKey(ctx.db, ctx.caller.workspaceId, {
        name: input.name,
        scopes: input.scopes.map((s) => s.toLowerCase() as ScopeName),
        buckets: input.buckets,
      }, ctx.caller),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { admin: true },
    description: "Takes effect on the next request.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => revokeApiKey(ctx.db, String(id)),
  }),
}));
