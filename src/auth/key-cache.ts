import { BoundedMap } from "../bounded-map.js";

// Verified API keys kept for a few seconds (API_KEY_CACHE_SECONDS), so that most requests send no
// statement for their key: on a one-row page the key's look-up was a third of the database work.
// A key revoked or rotated through the graph is forgotten at once, by every instance that hears
// of it (ChangeEvents: in process, and through Redis when configured); one revoked another way
// (the command line without Redis, SQL) fails at the latest when its entry expires.

/** What a request needs of its key, as stored. */
export interface KeyRow {
  id: string;
  workspaceId: string;
  secretHash: string;
  scopes: string[];
  bucketsRestricted: boolean;
  buckets: string[];
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** How many keys are kept at most: the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

export class KeyCache {
  private readonly entries = new BoundedMap<string, { key: KeyRow; until: number }>(MAX_ENTRIES);

  constructor(private readonly ttlMs: number) {}

  /** The key with this secret's hash, while its entry is fresh. */
  get(secretHash: string): KeyRow | undefined {
    const entry = this.entries.get(secretHash);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.key;
    this.entries.delete(secretHash);
    return undefined;
  }

  set(secretHash: string, key: KeyRow): void {
    if (this.ttlMs <= 0) return;
    this.entries.set(secretHash, { key, until: Date.now() + this.ttlMs });
  }

  /** Forgets a key (revoked, rotated): its next request looks it up again. */
  forget(apiKeyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.key.id === apiKeyId) this.entries.delete(hash);
  }
}
