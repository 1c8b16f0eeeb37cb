import { BoundedMap } from "../bounded-map.js";
import type { PrismaClient } from "../generated/prisma/client.js";

/**
 * The one place where tenancy is enforced for Prisma queries: a client whose every model
 * operation carries the caller's workspace, in its filter or in the rows it creates. An id from
 * another workspace therefore matches nothing, exactly like an id that does not exist.
 * Raw SQL is not covered; the few services that use it take the workspace id explicitly.
 */
export function scopeToWorkspace(prisma: PrismaClient, workspaceId: string) {
  return prisma.$extends({
    name: "workspace-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const column = model === "Workspace" ? "id" : "workspaceId";
          const a = (args ?? {}) as Record<string, unknown>;
          switch (operation) {
            case "create":
              if (model !== "Workspace") a.data = { ...(a.data as object), workspaceId };
              break;
            case "createMany":
            case "createManyAndReturn":
              a.data = ([] as object[]).concat(a.data as object).map((row) => ({ ...row, workspaceId }));
              break;
            case "upsert":
              a.where = withCondition(a.where, { [column]: workspaceId });
              a.create = { ...(a.create as object), workspaceId };
              break;
            default:
              a.where = withCondition(a.where, { [column]: workspaceId });
          }
          return query(a as typeof args);
        },
      },
    },
  });
}

// Added under AND, so that it narrows whatever the caller asked for and never replaces it, and
// the unique fields a findUnique needs stay at the top level.
function withCondition(where: unknown, condition: object): object {
  const w = (where ?? {}) as Record<string, unknown>;
  const and = w.AND === undefined ? [] : ([] as unknown[]).concat(w.AND);
  return { ...w, AND: [...and, condition] };
}

export type ScopedPrisma = ReturnType<typeof scopeToWorkspace>;

/** Extended clients are cheap but not free: keep one per workspace, bounded. */
export class ScopedClients {
  private readonly cache: BoundedMap<string, ScopedPrisma>;
  constructor(
    private readonly prisma: PrismaClient,
    max = 1_000,
  ) {
    this.cache = new BoundedMap(max);
  }

  for(workspaceId: string): ScopedPrisma {
    let client = this.cache.get(workspaceId);
    if (!client) this.cache.set(workspaceId, (client = scopeToWorkspace(this.prisma, workspaceId)));
    return client;
  }
}
