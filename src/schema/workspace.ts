import { ApiKeyRef } from "./api-key.js";
import { builder } from "./builder.js";
import { NodeInterface } from "./common.js";

export const WorkspaceRef = builder.prismaObject("Workspace", {
  interfaces: [NodeInterface],
  description: "A tenant: every row belongs to exactly one workspace.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const Viewer = builder.objectRef<{ workspaceId: string; apiKeyId: string }>("Viewer").implement({
  description: "The caller: its workspace and API key.",
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, resolve: (_viewer, _args, ctx) => ctx.services.apiKeys.workspace() }),
    apiKey: t.field({ type: ApiKeyRef, resolve: (_viewer, _args, ctx) => ctx.services.apiKeys.callingKey() }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: Viewer, resolve: (_root, _args, ctx) => ({ workspaceId: ctx.caller.workspaceId, apiKeyId: ctx.caller.apiKeyId }) }),
);
