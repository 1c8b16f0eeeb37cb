-- Gainsight PX's standard fields get typed homes (SPEC §8), and a person's ids in other systems.
CREATE TYPE "Gender" AS ENUM ('MALE', 'FEMALE', 'OTHER');

ALTER TABLE "person"
  ADD COLUMN "gender" "Gender",
  ADD COLUMN "score" INTEGER,
  ADD COLUMN "role" VARCHAR(255),
  ADD COLUMN "account_id" VARCHAR(255),
  ADD COLUMN "signed_up_at" TIMESTAMPTZ(3),
  ADD COLUMN "consent" JSONB,
  ADD COLUMN "inferred_location" JSONB;

CREATE TABLE "person_identity" (
    "workspace_id" UUID NOT NULL,
    "person_id" UUID NOT NULL,
    "system" VARCHAR(64) NOT NULL,
    "external_id" VARCHAR(255) NOT NULL,
    CONSTRAINT "person_identity_pkey" PRIMARY KEY ("person_id", "system")
);
CREATE UNIQUE INDEX "person_identity_workspace_id_system_external_id_key" ON "person_identity"("workspace_id", "system", "external_id");
ALTER TABLE "person_identity" ADD CONSTRAINT "person_identity_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
