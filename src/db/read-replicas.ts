import { readReplicas } from "@prisma/extension-read-replicas";
import { BoundedMap } from "../bounded-map.js";
import type { Database, Prisma } from "./client.js";

/** What this process knows of a workspace's last writes, until every replica has replayed them. */
interface LastWrite {
  /** Writes whose position in the primary's WAL is still being read. */
  pending: number;
  /** The furthest such position, as PostgreSQL prints an LSN. */
  lsn?: bigint;
  /** A position could not be read: reads stay on the primary until a later one is. */
  unknown: boolean;
  caughtUp: Set<Database>;
}

// Workspaces that wrote and have not read since; past the bound the oldest is forgotten (by then
// a streaming replica has long replayed its write).
const MAX_TRACKED_WORKSPACES = 10_000;

/** How often each replica is pinged; one that does not answer is passed over until it does. */
export const REPLICA_CHECK_MS = 2_000;

const lsnOf = (text: string) => {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
};
const lsnText = (lsn: bigint) => `${(lsn >> 32n).toString(16)}/${(lsn & 0xffffffffn).toString(16)}`;

/**
 * Streaming replicas for requests that only read. Each replica is a database of its own whose
 * raw reads go to the replica's pool and whose Prisma client is the primary's with the
 * read-replicas extension: reads go to the replica, anything that writes (and every statement of
 * a transaction) to the primary.
 *
 * Read-your-writes: after a write, its workspace's reads stay on the primary until a replica
 * has replayed the primary's WAL up to where it stood after the write; a replica that lags is
 * passed over, so no reader of that workspace sees data older than its last write.
 */
export class ReadReplicas {
  private readonly sides: Database[];
  private next = 0;
  private readonly lastWrites = new BoundedMap<string, LastWrite>(MAX_TRACKED_WORKSPACES);
  private readonly down = new Set<Database>();
  private readonly checks: NodeJS.Timeout;

  constructor(
    private readonly primary: Database,
    private readonly replicas: Database[],
    checkEveryMs = REPLICA_CHECK_MS,
  ) {
    this.sides = replicas.map((replica) => ({
      ...replica,
      prisma: primary.prisma.$extends(readReplicas({ replicas: [replica.prisma] })) as unknown as Prisma,
      driver: primary.driver,
    }));
    this.checks = setInterval(() => void this.check(), checkEveryMs).unref();
  }

  /** Replicas that do not answer are passed over (their reads go to the primary) until they do. */
  private async check(): Promise<void> {
    await Promise.all(
      this.sides.map((side) =>
        side.ping().then(
          () => this.down.delete(side),
          () => this.down.add(side),
        ),
      ),
    );
  }

  /** A write of this workspace has committed: its reads stay on the primary until a replica has it. */
  wrote(workspaceId: string): void {
    const write = this.lastWrites.get(workspaceId) ?? { pending: 0, unknown: false, caughtUp: new Set() };
    write.pending++;
    write.caughtUp.clear();
    this.lastWrites.delete(workspaceId);
    this.lastWrites.set(workspaceId, write);
    this.primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn", []).then(
      ([row]) => {
        const lsn = lsnOf(row!.lsn);
        if (write.lsn === undefined || lsn > write.lsn) write.lsn = lsn;
        write.unknown = false;
        write.pending--;
      },
      () => {
        write.unknown = true;
        write.pending--;
      },
    );
  }

  /** The database a request of this workspace that only reads goes to. */
  async forReading(workspaceId: string): Promise<Database> {
    const up = this.down.size ? this.sides.filter((side) => !this.down.has(side)) : this.sides;
    if (!up.length) return this.primary;
    const replica = up[this.next++ % up.length]!;
    const write = this.lastWrites.get(workspaceId);
    if (!write || write.caughtUp.has(replica)) return replica;
    if (write.pending > 0 || write.unknown || write.lsn === undefined) return this.primary;
    const lsn = write.lsn;
    try {
      const [row] = await replica.query<{ replayed: boolean }>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed", [lsnText(lsn)]);
      if (!row?.replayed) return this.primary;
    } catch {
      // A replica that does not answer is passed over, like one that lags.
      return this.primary;
    }
    if (write.lsn === lsn && write.pending === 0) {
      write.caughtUp.add(replica);
      if (write.caughtUp.size === this.sides.length && this.lastWrites.get(workspaceId) === write) this.lastWrites.delete(workspaceId);
    }
    return replica;
  }

  close(): Promise<void> {
    clearInterval(this.checks);
    return Promise.all(this.replicas.map((replica) => replica.close())).then(() => {});
  }
}
