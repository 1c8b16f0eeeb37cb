import { randomUUID } from "node:crypto";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import { Conflict, FieldErrors, InvalidInput, NotFound, sqlStateOf } from "../errors.js";
import { Prisma, type LedgerEntry, type Participant } from "../generated/prisma/client.js";
import { inTransaction, type Tx } from "../db/transaction.js";
import { isStorableText, isUuid } from "./validate.js";

type Kind = "BALANCE" | "COUNTER" | "BOOKING" | "PAYMENT" | "TIER";
type Bucket = "AVAILABLE" | "PENDING" | "LOCKED";

export interface LedgerEntryInput {
  participantId: string;
  kind: Kind;
  asset: string;
  bucket?: Bucket | null;
  amount: string;
  idempotencyKey: string;
  note?: string | null;
}

// numeric(38, 18): 20 digits before the point, 18 after.
const AMOUNT = /^-?\d{1,20}(\.\d{1,18})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const ASSET = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function checkEntry(input: LedgerEntryInput): FieldErrors {
  const errors = new FieldErrors();
  const path = (field: string) => ["input", field];
  if (input.kind === "TIER") errors.add(path("kind"), "TIER entries are written by setTier only.");
  if (input.kind === "BALANCE" && !input.bucket) errors.add(path("bucket"), "A BALANCE entry needs a bucket.");
  if (input.kind !== "BALANCE" && input.bucket) errors.add(path("bucket"), "Only BALANCE entries have a bucket.");
  const currency = input.kind === "BOOKING" || input.kind === "PAYMENT";
  if (currency ? !CURRENCY.test(input.asset) : !ASSET.test(input.asset)) {
    errors.add(path("asset"), currency ? "A currency is an ISO 4217 code such as EUR." : "An asset or counter name has 1 to 64 letters, digits, _ . : or -.");
  }
  if (!AMOUNT.test(input.amount)) errors.add(path("amount"), "At most 20 digits before the decimal point and 18 after.");
  const key = input.idempotencyKey;
  if (!key.trim() || key.length > 255 || !isStorableText(key)) errors.add(path("idempotencyKey"), "An idempotency key has 1 to 255 characters.");
  if (input.note != null && (input.note.length > 1000 || !isStorableText(input.note))) errors.add(path("note"), "At most 1000 characters.");
  return errors;
}

function samePayload(entry: LedgerEntry, input: LedgerEntryInput): boolean {
  return (
    entry.participantId === input.participantId &&
    entry.kind === input.kind &&
    entry.asset === input.asset &&
    (entry.bucket ?? null) === (input.bucket ?? null) &&
    entry.amount.equals(new Prisma.Decimal(input.amount)) &&
    (entry.note ?? null) === (input.note ?? null)
  );
}

async function requireParticipant(tx: Tx, id: string): Promise<Participant> {
  const participant = isUuid(id) ? await tx.participant.findUnique({ where: { id } }) : null;
  if (!participant) throw new NotFound("Participant");
  return participant;
}

/**
 * Appends an entry and moves the running total in one transaction. The idempotency key is unique
 * per workspace, so of concurrent posts with one key exactly one inserts; the others wait for it
 * and then compare payloads. The total's row lock orders concurrent debits, so a balance is never
 * read stale when checked against zero.
 */
export async function postLedgerEntry(db: ScopedPrisma, workspaceId: string, input: LedgerEntryInput): Promise<LedgerEntry> {
  checkEntry(input).throwIfAny();
  return inTransaction(db, async (tx) => {
    await requireParticipant(tx, input.participantId);
    const inserted = await appendEntry(tx, workspaceId, input);
    if (!inserted) {
      const existing = (await tx.ledgerEntry.findFirst({ where: { idempotencyKey: input.idempotencyKey } }))!;
      if (samePayload(existing, input)) return existing;
      throw new Conflict(`The idempotency key "${input.idempotencyKey}" was already used for another entry.`);
    }
    const total = await moveTotal(tx, workspaceId, input);
    if (input.kind === "BALANCE" && input.bucket === "AVAILABLE" && total.isNegative()) {
      throw InvalidInput.field(["input", "amount"], `Insufficient ${input.asset} AVAILABLE balance.`);
    }
    return inserted;
  });
}

async function appendEntry(tx: Tx, workspaceId: string, input: LedgerEntryInput): Promise<LedgerEntry | undefined> {
  const id = randomUUID();
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO ledger_entry (id, workspace_id, participant_id, kind, asset, bucket, amount, idempotency_key, note, created_at)
    VALUES (${id}::uuid, ${workspaceId}::uuid, ${input.participantId}::uuid, ${input.kind}::"LedgerKind", ${input.asset},
            ${input.bucket ?? null}::"BalanceBucket", ${input.amount}::numeric, ${input.idempotencyKey}, ${input.note ?? null}, now())
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING id`;
  if (rows.length === 0) return undefined;
  return (await tx.ledgerEntry.findUnique({ where: { id } }))!;
}

async function moveTotal(tx: Tx, workspaceId: string, input: LedgerEntryInput): Promise<Prisma.Decimal> {
  const [row] = await tx.$queryRaw<{ amount: Prisma.Decimal }[]>`
    INSERT INTO ledger_total (workspace_id, participant_id, kind, asset, bucket, amount, updated_at)
    VALUES (${workspaceId}::uuid, ${input.participantId}::uuid, ${input.kind}::"LedgerKind", ${input.asset},
            ${input.bucket ?? ""}, ${input.amount}::numeric, now())
    ON CONFLICT (participant_id, kind, asset, bucket)
    DO UPDATE SET amount = ledger_total.amount + EXCLUDED.amount, updated_at = now()
    RETURNING amount`.catch((error: unknown) => {
    if (sqlStateOf(error) === "22003") {
      throw InvalidInput.field(["input", "amount"], "The running total would leave the 20 digits before the point that it can hold.");
    }
    throw error;
  });
  return new Prisma.Decimal(row!.amount.toString());
}

export async function setTier(
  db: ScopedPrisma,
  workspaceId: string,
  participantId: string,
  tier: { tierType: string; level: string; rank: number },
): Promise<Participant> {
  const errors = new FieldErrors();
  if (!ASSET.test(tier.tierType)) errors.add(["tierType"], "A tier type has 1 to 64 letters, digits, _ . : or -.");
  if (!tier.level.trim() || tier.level.length > 255) errors.add(["level"], "A level has 1 to 255 characters.");
  if (!Number.isInteger(tier.rank) || tier.rank < 0) errors.add(["rank"], "A rank is a whole number, 0 or more.");
  errors.throwIfAny();
  return inTransaction(db, async (tx) => {
    await requireParticipant(tx, participantId);
    const data = { level: tier.level.trim(), rank: tier.rank, updatedAt: new Date() };
    // One statement, so that concurrent first settings of a tier type cannot both try to insert
    // (Prisma's upsert under the tenant scope reads, then inserts).
    await tx.$executeRaw`
      INSERT INTO participant_tier (workspace_id, participant_id, tier_type, level, rank, updated_at)
      VALUES (${workspaceId}::uuid, ${participantId}::uuid, ${tier.tierType}, ${data.level}, ${data.rank}, ${data.updatedAt})
      ON CONFLICT (participant_id, tier_type) DO UPDATE SET level = EXCLUDED.level, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at`;
    // The ledger shows every tier change: asset = tier type, note = level, amount = rank.
    await tx.ledgerEntry.create({
      data: {
        workspaceId,
        participantId,
        kind: "TIER",
        asset: tier.tierType,
        amount: new Prisma.Decimal(tier.rank),
        idempotencyKey: `tier:${randomUUID()}`,
        note: data.level,
      },
    });
    return tx.participant.update({ where: { id: participantId }, data: { version: { increment: 1 }, updatedAt: new Date() } });
  });
}
