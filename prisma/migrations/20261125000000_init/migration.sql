-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Status" AS ENUM ('ACTIVE', 'SUSPENDED', 'CLOSED');

-- CreateEnum
CREATE TYPE "PersonType" AS ENUM ('LEAD', 'USER', 'VISITOR');

-- CreateEnum
CREATE TYPE "CustomFieldType" AS ENUM ('TEXT', 'NUMBER', 'BOOLEAN', 'DATE', 'DATETIME', 'SELECT', 'MULTI_SELECT', 'EMAIL', 'URL');

-- CreateEnum
CREATE TYPE "LedgerKind" AS ENUM ('BALANCE', 'COUNTER', 'BOOKING', 'PAYMENT', 'TIER');

-- CreateEnum
CREATE TYPE "BalanceBucket" AS ENUM ('AVAILABLE', 'PENDING', 'LOCKED');

-- CreateTable
CREATE TABLE "workspace" (
    "id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "secret_hash" CHAR(64) NOT NULL,
    "scopes" TEXT[],
    "buckets_restricted" BOOLEAN NOT NULL DEFAULT false,
    "buckets" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "person" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "external_id" VARCHAR(255),
    "email" VARCHAR(255),
    "phone" VARCHAR(50),
    "first_name" VARCHAR(255),
    "last_name" VARCHAR(255),
    "display_name" VARCHAR(255),
    "avatar_url" VARCHAR(2048),
    "timezone" VARCHAR(64),
    "locale" VARCHAR(35),
    "type" "PersonType",
    "title" VARCHAR(255),
    "company" VARCHAR(255),
    "location" JSONB,
    "status" "Status" NOT NULL DEFAULT 'ACTIVE',
    "status_reason" TEXT,
    "status_changed_at" TIMESTAMPTZ(3),
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "first_seen_at" TIMESTAMPTZ(3),
    "last_seen_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attribute_bucket" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attribute_bucket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "person_attribute" (
    "workspace_id" UUID NOT NULL,
    "person_id" UUID NOT NULL,
    "bucket_id" UUID NOT NULL,
    "key" VARCHAR(70) NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "person_attribute_pkey" PRIMARY KEY ("person_id","bucket_id","key")
);

-- CreateTable
CREATE TABLE "program" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "last_serial" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "program_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "custom_field_definition" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "program_id" UUID NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "label" VARCHAR(255) NOT NULL,
    "type" "CustomFieldType" NOT NULL,
    "required" BOOLEAN NOT NULL DEFAULT false,
    "options" JSONB,
    "description" TEXT,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "custom_field_definition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "custom_field_value" (
    "workspace_id" UUID NOT NULL,
    "participant_id" UUID NOT NULL,
    "field_id" UUID NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "custom_field_value_pkey" PRIMARY KEY ("participant_id","field_id")
);

-- CreateTable
CREATE TABLE "participant" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "program_id" UUID NOT NULL,
    "person_id" UUID NOT NULL,
    "serial_number" INTEGER NOT NULL,
    "external_id" VARCHAR(255),
    "status" "Status" NOT NULL DEFAULT 'ACTIVE',
    "status_reason" TEXT,
    "status_changed_at" TIMESTAMPTZ(3),
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "participant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "participant_id" UUID NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "asset" VARCHAR(64) NOT NULL,
    "bucket" "BalanceBucket",
    "amount" DECIMAL(38,18) NOT NULL,
    "idempotency_key" VARCHAR(255) NOT NULL,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_total" (
    "workspace_id" UUID NOT NULL,
    "participant_id" UUID NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "asset" VARCHAR(64) NOT NULL,
    "bucket" VARCHAR(16) NOT NULL DEFAULT '',
    "amount" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_total_pkey" PRIMARY KEY ("participant_id","kind","asset","bucket")
);

-- CreateTable
CREATE TABLE "participant_tier" (
    "workspace_id" UUID NOT NULL,
    "participant_id" UUID NOT NULL,
    "tier_type" VARCHAR(64) NOT NULL,
    "level" VARCHAR(255) NOT NULL,
    "rank" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "participant_tier_pkey" PRIMARY KEY ("participant_id","tier_type")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_key_secret_hash_key" ON "api_key"("secret_hash");

-- CreateIndex
CREATE INDEX "api_key_workspace_id_idx" ON "api_key"("workspace_id");

-- CreateIndex
CREATE INDEX "person_workspace_id_created_at_id_idx" ON "person"("workspace_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "person_workspace_id_updated_at_id_idx" ON "person"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "person_workspace_id_last_name_id_idx" ON "person"("workspace_id", "last_name", "id");

-- CreateIndex
CREATE INDEX "person_workspace_id_email_idx" ON "person"("workspace_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "person_workspace_id_external_id_key" ON "person"("workspace_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "attribute_bucket_workspace_id_name_key" ON "attribute_bucket"("workspace_id", "name");

-- CreateIndex
CREATE INDEX "person_attribute_bucket_id_key_idx" ON "person_attribute"("bucket_id", "key");

-- CreateIndex
CREATE INDEX "program_workspace_id_created_at_id_idx" ON "program"("workspace_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "program_workspace_id_key_key" ON "program"("workspace_id", "key");

-- CreateIndex
CREATE UNIQUE INDEX "custom_field_definition_program_id_key_key" ON "custom_field_definition"("program_id", "key");

-- CreateIndex
CREATE INDEX "custom_field_value_field_id_idx" ON "custom_field_value"("field_id");

-- CreateIndex
CREATE INDEX "participant_person_id_idx" ON "participant"("person_id");

-- CreateIndex
CREATE INDEX "participant_program_id_created_at_id_idx" ON "participant"("program_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "participant_program_id_updated_at_id_idx" ON "participant"("program_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "participant_workspace_id_idx" ON "participant"("workspace_id");

-- CreateIndex
CREATE UNIQUE INDEX "participant_program_id_serial_number_key" ON "participant"("program_id", "serial_number");

-- CreateIndex
CREATE UNIQUE INDEX "participant_program_id_external_id_key" ON "participant"("program_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "participant_program_id_person_id_key" ON "participant"("program_id", "person_id");

-- CreateIndex
CREATE INDEX "ledger_entry_participant_id_created_at_id_idx" ON "ledger_entry"("participant_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_workspace_id_idempotency_key_key" ON "ledger_entry"("workspace_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "person" ADD CONSTRAINT "person_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attribute_bucket" ADD CONSTRAINT "attribute_bucket_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "person_attribute" ADD CONSTRAINT "person_attribute_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "person_attribute" ADD CONSTRAINT "person_attribute_bucket_id_fkey" FOREIGN KEY ("bucket_id") REFERENCES "attribute_bucket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "program" ADD CONSTRAINT "program_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custom_field_definition" ADD CONSTRAINT "custom_field_definition_program_id_fkey" FOREIGN KEY ("program_id") REFERENCES "program"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custom_field_value" ADD CONSTRAINT "custom_field_value_participant_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custom_field_value" ADD CONSTRAINT "custom_field_value_field_id_fkey" FOREIGN KEY ("field_id") REFERENCES "custom_field_definition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "participant" ADD CONSTRAINT "participant_program_id_fkey" FOREIGN KEY ("program_id") REFERENCES "program"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "participant" ADD CONSTRAINT "participant_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_participant_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_total" ADD CONSTRAINT "ledger_total_participant_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "participant_tier" ADD CONSTRAINT "participant_tier_participant_id_fkey" FOREIGN KEY ("participant_id") REFERENCES "participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Indexes Prisma's schema language cannot express. Look-ups by e-mail are case-insensitive,
-- and tag filters use array containment.
CREATE INDEX "person_workspace_id_lower_email_idx" ON "person"("workspace_id", lower("email"));
CREATE INDEX "person_tags_idx" ON "person" USING GIN ("tags");
CREATE INDEX "participant_tags_idx" ON "participant" USING GIN ("tags");
