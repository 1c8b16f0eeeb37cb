import { randomUUID } from "node:crypto";
import type { Tx } from "../db/transaction.js";
import { Prisma, type LedgerEntry } from "../generated/prisma/client.js";
import type { BalanceBucket, LedgerKind } from "../generated/prisma/enums.js";
import { selectFields } from "./columns.js";

// The ledger's writes, in the caller's transaction.

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

/**
 * Appends an entry to a participant of the workspace and returns it as stored, in one statement;
 * undefined when nothing was written: its idempotency key was used already, or the workspace has
 * no such participant (the caller tells which, on that rare path only).
 */
export async function insertEntry(tx: Tx, workspaceId: string, entry: LedgerEntryFields): Promise<LedgerEntry | undefined> {
  const rows = await tx.$queryRaw<LedgerEntry[]>`
    INSERT INTO ledger_entry (id, workspace_id, participant_id, kind, asset, bucket, amount, scale, idempotency_key, note, created_at)
    SELECT ${randomUUID()}::uuid, p.workspace_id, p.id, ${entry.kind}::"LedgerKind", ${entry.asset}::text,
           ${entry.bucket ?? null}::"BalanceBucket", ${entry.amount}::numeric, ${scaleOf(entry.amount)}::int, ${entry.idempotencyKey}::text, ${entry.note ?? null}::text, now()
    FROM participant p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ${entry.participantId}::uuid
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING ${selectFields("LedgerEntry", "ledger_entry")}`;
  return rows[0];
}

/** Moves the running total of the entry's kind, asset and bucket under its row lock; returns the new total. */
export async function addToTotal(tx: Tx, workspaceId: string, entry: LedgerEntryFields): Promise<Prisma.Decimal> {
  const [row] = await tx.$queryRaw<{ amount: Prisma.Decimal }[]>`
    INSERT INTO ledger_total (workspace_id, participant_id, kind, asset, bucket, amount, scale, updated_at)
    VALUES (${workspaceId}::uuid, ${entry.participantId}::uuid, ${entry.kind}::"LedgerKind", ${entry.asset},
            ${entry.bucket ?? ""}, ${entry.amount}::numeric, ${scaleOf(entry.amount)}, now())
    ON CONFLICT (participant_id, kind, asset, bucket)
    DO UPDATE SET amount = ledger_total.amount + EXCLUDED.amount, scale = GREATEST(ledger_total.scale, EXCLUDED.scale), updated_at = now()
    RETURNING amount`;
  return new Prisma.Decimal(row!.amount.toString());
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
