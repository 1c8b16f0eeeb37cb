import { randomUUID } from "node:crypto";
import type { ScopedPrisma } from "../auth/tenant-scope.js";
import type { Caller } from "../auth/api-key.js";
import type { Database } from "../db/client.js";
import { inDriverTransaction, inTransaction, touched, type SqlTx, type Tx } from "../db/transaction.js";
import { Conflict, FieldErrors, InvalidInput, NotFound, sqlStateOf } from "../errors.js";
import { Prisma, type LedgerEntry, type Participant } from "../generated/prisma/client.js";
import { addToTotal, entryByKey, insertEntry, type LedgerEntryFields, upsertTier } from "../stores/ledger-writes.js";
import { participantExists } from "../stores/participant-writes.js";
import type { ReadPlan } from "../stores/participant-store.js";
import { LEDGER_SORT } from "../stores/sorts.js";
import { keysetPage, type PageArgs } from "./pagination.js";
import { participantService, type ParticipantLookup } from "./participant.js";
import type { RequestScope } from "./scope.js";
import { isStorableText, isUuid } from "./validate.js";


export type LedgerEntryInput = LedgerEntryFields;

/** An entry as a caller sends it: its participant named the way the caller knows it. */
export type LedgerEntryArgs = Omit<LedgerEntryFields, "participantId"> & {
  participantId?: string | null;
  programKey?: string | null;
  serialNumber?: number | null;
  participantExternalId?: string | null;
};

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
export async function postLedgerEntry(database: Database, caller: Caller, input: LedgerEntryInput): Promise<LedgerEntry> {
  checkEntry(input).throwIfAny();
  const { workspaceId } = caller;
  return inDriverTransaction(database, caller, async (tx) => {
    const inserted = isUuid(input.participantId) ? await insertEntry(tx, workspaceId, input) : undefined;
    if (!inserted) {
      // Nothing written: no such participant (NOT_FOUND first, whatever the key), or a used key.
      if (!isUuid(input.participantId) || !(await participantExists(tx, workspaceId, input.participantId))) throw new NotFound("Participant");
      const existing = (await entryByKey(tx, workspaceId, input.idempotencyKey))!;
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

async function moveTotal(tx: SqlTx, workspaceId: string, input: LedgerEntryInput): Promise<Prisma.Decimal> {
  return addToTotal(tx, workspaceId, input).catch((error: unknown) => {
    if (sqlStateOf(error) === "22003") {
      throw InvalidInput.field(["input", "amount"], "The running total would leave the 20 digits before the point that it can hold.");
    }
    throw error;
  });
}

export async function setTier(
  db: ScopedPrisma,
  caller: Caller,
  participantId: string,
  tier: { tierType: string; level: string; rank: number },
): Promise<Participant> {
  const errors = new FieldErrors();
  if (!ASSET.test(tier.tierType)) errors.add(["tierType"], "A tier type has 1 to 64 letters, digits, _ . : or -.");
  if (!tier.level.trim() || tier.level.length > 255) errors.add(["level"], "A level has 1 to 255 characters.");
  if (!Number.isInteger(tier.rank) || tier.rank < 0) errors.add(["rank"], "A rank is a whole number, 0 or more.");
  errors.throwIfAny();
  const { workspaceId } = caller;
  return inTransaction(db, caller, async (tx) => {
    await requireParticipant(tx, participantId);
    // The version moves first, so that the change recorded below carries the new one.
    const participant = await tx.participant.update({ where: { id: participantId }, data: touched() });
    const data = { level: tier.level.trim(), rank: tier.rank, updatedAt: new Date() };
    await upsertTier(tx, workspaceId, participantId, { tierType: tier.tierType, ...data });
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
    return participant;
  });
}

/** The ledger for one request. */
export function ledgerService(scope: RequestScope) {
  const { db, caller, loaders } = scope;
  const participants = participantService(scope);
  return {
    /** Names its participant by `participantId`, or `programKey` with `serialNumber` or `participantExternalId`. */
    async post({ participantId, programKey, serialNumber, participantExternalId, ...entry }: LedgerEntryArgs) {
      const id = await participants.idOf({ id: participantId, programKey, serialNumber, externalId: participantExternalId });
      return postLedgerEntry(scope.database, caller, { ...entry, participantId: id });
    },
    /** Sets a tier and reads the participant back through the store with the client's plan. */
    async setTier(which: ParticipantLookup, tier: { tierType: string; level: string; rank: number }, plan: ReadPlan) {
      const id = await participants.idOf(which);
      await setTier(db, caller, id, tier);
      return participants.readBack(id, plan);
    },
    /** A participant's running totals (balances, counters, bookings, payments) and tiers. */
    figures: async (participantId: string) => {
      const [totals, tiers] = await Promise.all([loaders.ledgerTotalsByParticipantId.load(participantId), loaders.tiersByParticipantId.load(participantId)]);
      return { totals, tiers };
    },
    /** A participant's entries, newest first. */
    entries: (participantId: string, args: PageArgs) =>
      keysetPage(args, LEDGER_SORT, { participantId }, (q) => db.ledgerEntry.findMany(q as object), (q) => db.ledgerEntry.count(q as object)),
  };
}
