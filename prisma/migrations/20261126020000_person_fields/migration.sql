-- Person fields: custom field definitions of the workspace rather than of a program (SPEC §8).
ALTER TABLE "custom_field_definition" ALTER COLUMN "program_id" DROP NOT NULL;
CREATE UNIQUE INDEX "custom_field_definition_person_key" ON "custom_field_definition"("workspace_id", "key") WHERE "program_id" IS NULL;

CREATE TABLE "person_field_value" (
    "workspace_id" UUID NOT NULL,
    "person_id" UUID NOT NULL,
    "field_id" UUID NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "person_field_value_pkey" PRIMARY KEY ("person_id", "field_id")
);
CREATE INDEX "person_field_value_field_id_idx" ON "person_field_value"("field_id");
ALTER TABLE "person_field_value" ADD CONSTRAINT "person_field_value_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "person_field_value" ADD CONSTRAINT "person_field_value_field_id_fkey" FOREIGN KEY ("field_id") REFERENCES "custom_field_definition"("id") ON DELETE CASCADE ON UPDATE CASCADE;
