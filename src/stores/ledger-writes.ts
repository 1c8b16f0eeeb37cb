import { randomUUID } from "node:crypto";
import type { SqlTx, Tx } from "../db/transaction.js";
import { Prisma, type LedgerEntry } from "../generated/prisma/client.js";
import type { BalanceBucket, LedgerKind } from "../generated/prisma/enums.js";
import { selectFields } from "./columns.js";
import { sql } from "./sql.js";

// The ledger's writes, in the caller's transaction: entries and totals on the driver's, tiers on Prisma's.

/** An entry as the ledger service has checked it. */
export interface LedgerEntryFields {
  participantId: string;
  kind: LedgerKind;
  asset: string;
  bucket?: BalanceBucket | null;
  amount: string;
  idempotencyKey: string;
  note?: string | null;
}

/** Digits after the point as an amount was written: "450.00" has 2. */
export const scaleOf = (amount: string) => amount.split(".")[1]?.length ?? 0;

/** An entry as PostgreSQL returns it, under Prisma's field names; the amount as exact text. */
const ENTRY = sql`${selectFields("LedgerEntry", "ledger_entry", ["amount"])}, ledger_entry.amount::text AS amount`;
type StoredEntry = Omit<LedgerEntry, "amount"> & { amount: string };
const asEntry = (row: StoredEntry): LedgerEntry => ({ ...row, amount: new Prisma.Decimal(row.amount) });

/**
 * Appends an entry to a participant of the workspace and returns it as stored, in one statement;
 * undefined when nothing was written: its idempotency key was used already, or the workspace has
 * no such participant (the caller tells which, on that rare path only).
 */
export async function insertEntry(tx: SqlTx, workspaceId: string, entry: LedgerEntryFields): Promise<LedgerEntry | undefined> {
  const [row] = await tx.query<StoredEntry>(sql`
    INSERT INTO ledger_entry (id, workspace_id, participant_id, kind, asset, bucket, amount, scale, idempotency_key, note, created_at)
    SELECT ${randomUUID()}::uuid, p.workspace_id, p.id, ${entry.kind}::"LedgerKind", ${entry.asset}::text,
           ${entry.bucket ?? null}::"BalanceBucket", ${entry.amount}::numeric, ${scaleOf(entry.amount)}::int, ${entry.idempotencyKey}::text, ${entry.note ?? null}::text, now()
    FROM participant p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ${entry.participantId}::uuid
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING ${ENTRY}`);
  return row && asEntry(row);
}

/** The entry written with an idempotency key, if any. */
export async function entryByKey(tx: SqlTx, workspaceId: string, idempotencyKey: string): Promise<LedgerEntry | undefined> {
  const [row] = await tx.query<StoredEntry>(sql`
    SELECT ${ENTRY} FROM ledger_entry WHERE workspace_id = ${workspaceId}::uuid AND idempotency_key = ${idempotencyKey}`);
  return row && asEntry(row);
}

/** Moves the running total of the entry's kind, asset and bucket under its row lock; returns the new total. */
export async function addToTotal(tx: SqlTx, workspaceId: string, entry: LedgerEntryFields): Promise<Prisma.Decimal> {
  const [row] = await tx.query<{ amount: string }>(sql`
    INSERT INTO ledger_total (workspace_id, participant_id, kind, asset, bucket, amount, scale, updated_at)
    VALUES (${workspaceId}::uuid, ${entry.participantId}::uuid, ${entry.kind}::"LedgerKind", ${entry.asset},
            ${entry.bucket ?? ""}, ${entry.amount}::numeric, ${scaleOf(entry.amount)}, now())
    ON CONFLICT (participant_id, kind, asset, bucket)
    DO UPDATE SET amount = ledger_total.amount + EXCLUDED.amount, scale = GREATEST(ledger_total.scale, EXCLUDED.scale), updated_at = now()
    RETURNING amount::text AS amount`);
  return new Prisma.Decimal(row!.amount);
}

/**
 * Sets a participant's tier of one type in one statement, so that concurrent first settings of a
 * type cannot both try to insert (Prisma's upsert under the tenant scope reads, then inserts).
 */
export async function upsertTier(
  tx: Tx,
  workspaceId: string,
  participantId: string,
  tier: { tierType: string; level: string; rank: number; updatedAt: Date },
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO participant_tier (workspace_id, participant_id, tier_type, level, rank, updated_at)
    VALUES (${workspaceId}::uuid, ${participantId}::uuid, ${tier.tierType}, ${tier.level}, ${tier.rank}, ${tier.updatedAt})
    ON CONFLICT (participant_id, tier_type) DO UPDATE SET level = EXCLUDED.level, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at`;
}
