import type { ScopedPrisma } from "../auth/tenant-scope.js";

/**
 * Program ids by workspace and key. A program's key never changes and programs are never deleted,
 * so a found id stays right for the life of the process; misses are not remembered.
 */
export class ProgramIdCache {
  private readonly ids = new Map<string, string>();
  constructor(private readonly max = 10_000) {}

  async get(db: ScopedPrisma, workspaceId: string, key: string): Promise<string | undefined> {
    const cacheKey = `${workspaceId}\u0000${key}`;
    const cached = this.ids.get(cacheKey);
    if (cached) return cached;
    const program = await db.program.findFirst({ where: { key }, select: { id: true } });
    if (!program) return undefined;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.keys().next().value!);
    this.ids.set(cacheKey, program.id);
    return program.id;
  }
}
