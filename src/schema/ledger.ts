import { Prisma, type LedgerTotal } from "../generated/prisma/client.js";
import type { BalanceBucket } from "../generated/prisma/enums.js";
import { builder } from "./builder.js";
import { BalanceBucketEnum, LedgerKindEnum, lookup, NodeInterface, pageArgs } from "./common.js";
import { connectionOf } from "./connection.js";
import { ParticipantRef, readPlan } from "./participant.js";


const LedgerEntryRef = builder.prismaObject("LedgerEntry", {
  interfaces: [NodeInterface],
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.expose("kind", { type: LedgerKindEnum }),
    asset: t.exposeString("asset"),
    bucket: t.expose("bucket", { type: BalanceBucketEnum, nullable: true }),
    amount: t.field({ type: "Decimal", resolve: (entry) => entry.amount.toFixed(entry.scale) }),
    idempotencyKey: t.exposeString("idempotencyKey"),
    note: t.exposeString("note", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const LedgerEntryConnection = connectionOf("LedgerEntry", LedgerEntryRef);

const Balance = builder.objectRef<LedgerTotal>("Balance").implement({
  fields: (t) => ({
    asset: t.exposeString("asset"),
    bucket: t.field({ type: BalanceBucketEnum, resolve: (total) => total.bucket as BalanceBucket }),
    amount: t.field({ type: "Decimal", resolve: (total) => total.amount.toFixed(total.scale) }),
  }),
});

const Counter = builder.objectRef<LedgerTotal>("Counter").implement({
  fields: (t) => ({
    name: t.exposeString("asset"),
    value: t.field({ type: "Decimal", resolve: (total) => total.amount.toFixed(total.scale) }),
  }),
});

// Prisma's Decimal rounds to 20 significant digits; a numeric(38, 18) sum needs all 38.
const Exact = Prisma.Decimal.clone({ precision: 80 });

/** A sum and the largest scale among its terms, which it is shown with. */
interface Sum {
  amount: InstanceType<typeof Exact>;
  scale: number;
}
const addTo = (sum: Sum, amount: Prisma.Decimal, scale: number): Sum => ({ amount: sum.amount.plus(amount), scale: Math.max(sum.scale, scale) });
const shown = (sum: Sum) => sum.amount.toFixed(sum.scale);

interface FinancialsShape {
  currency: string;
  booked: Sum;
  paid: Sum;
}

const Financials = builder.objectRef<FinancialsShape>("Financials").implement({
  fields: (t) => ({
    currency: t.exposeString("currency"),
    totalBooked: t.field({ type: "Decimal", resolve: (f) => shown(f.booked) }),
    totalPaid: t.field({ type: "Decimal", resolve: (f) => shown(f.paid) }),
    totalBalance: t.field({
      type: "Decimal",
      resolve: (f) => shown({ amount: f.booked.amount.minus(f.paid.amount), scale: Math.max(f.booked.scale, f.paid.scale) }),
    }),
  }),
});

const Tier = builder.prismaObject("ParticipantTier", {
  name: "Tier",
  fields: (t) => ({
    tierType: t.exposeString("tierType"),
    level: t.exposeString("level"),
    rank: t.exposeInt("rank"),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

// Totals are batched by a loader of their own rather than joined into the page's statement:
// a relation join carries numeric columns through JSON, where they lose digits.
builder.objectFields(ParticipantRef, (t) => ({
  balances: t.field({
    type: [Balance],
    resolve: async (p, _args, ctx) => (await ctx.loaders.ledgerTotalsByParticipantId.load(p.id)).filter((x) => x.kind === "BALANCE"),
  }),
  counters: t.field({
    type: [Counter],
    resolve: async (p, _args, ctx) => (await ctx.loaders.ledgerTotalsByParticipantId.load(p.id)).filter((x) => x.kind === "COUNTER"),
  }),
  financials: t.field({
    type: [Financials],
    description: "Per currency: booked, paid, and the balance still due (booked − paid).",
    resolve: async (p, _args, ctx) => {
      const byCurrency = new Map<string, FinancialsShape>();
      for (const total of await ctx.loaders.ledgerTotalsByParticipantId.load(p.id)) {
        if (total.kind !== "BOOKING" && total.kind !== "PAYMENT") continue;
        const zero = { amount: new Exact(0), scale: 0 };
        const entry = byCurrency.get(total.asset) ?? { currency: total.asset, booked: zero, paid: zero };
        if (total.kind === "BOOKING") entry.booked = addTo(entry.booked, total.amount, total.scale);
        else entry.paid = addTo(entry.paid, total.amount, total.scale);
        byCurrency.set(total.asset, entry);
      }
      return [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
    },
  }),
  tiers: t.field({ type: [Tier], resolve: (p, _args, ctx) => ctx.loaders.tiersByParticipantId.load(p.id) }),
  ledger: t.field({
    type: LedgerEntryConnection,
    description: "Every entry, newest first.",
    args: pageArgs,
    resolve: (p, args, ctx) => ctx.services.ledger.entries(p.id, args) as never,
  }),
}));

const LedgerEntryInput = builder.inputType("LedgerEntryInput", {
  fields: (t) => ({
    participantId: t.id({ description: "Or name the participant by `programKey` with `serialNumber` or `participantExternalId`." }),
    programKey: t.string(),
    serialNumber: t.int(),
    participantExternalId: t.string(),
    kind: t.field({ type: LedgerKindEnum, required: true }),
    asset: t.string({ required: true, description: "Asset code, counter name, or currency for BOOKING and PAYMENT." }),
    bucket: t.field({ type: BalanceBucketEnum }),
    amount: t.field({ type: "Decimal", required: true }),
    idempotencyKey: t.string({ required: true }),
    note: t.string(),
  }),
});

builder.mutationFields((t) => ({
  postLedgerEntry: t.field({
    type: LedgerEntryRef,
    description: "Appends an entry. The same idempotency key and payload returns the first entry; another payload is CONFLICT.",
    args: { input: t.arg({ type: LedgerEntryInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.ledger.post({ ...input, participantId: input.participantId == null ? input.participantId : String(input.participantId) }),
  }),
  setTier: t.field({
    type: ParticipantRef,
    description: "Sets the participant's tier of one type and records the change in the ledger.",
    args: {
      participantId: t.arg.id(),
      programKey: t.arg.string(),
      serialNumber: t.arg.int(),
      externalId: t.arg.string(),
      tierType: t.arg.string({ required: true }),
      level: t.arg.string({ required: true }),
      rank: t.arg.int({ required: true }),
    },
    resolve: (_root, { participantId, programKey, serialNumber, externalId, ...tier }, ctx, info) =>
      ctx.services.ledger.setTier(lookup({ id: participantId, programKey, serialNumber, externalId }), tier, readPlan(info, [])),
  }),
}));
