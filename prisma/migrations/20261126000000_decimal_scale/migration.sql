-- Decimals keep the scale they were given ("450.00" stays "450.00"); a running total keeps the
-- largest scale among its entries.
ALTER TABLE "ledger_entry" ADD COLUMN "scale" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "ledger_total" ADD COLUMN "scale" INTEGER NOT NULL DEFAULT 0;
