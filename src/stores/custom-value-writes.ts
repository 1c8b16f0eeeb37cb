import type { Tx } from "../db/transaction.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";

// The custom value writes, in the caller's transaction: one statement for all the values given.

/** Upserts values by field and clears others. */
export async function writeCustomValues(
  tx: Tx,
  workspaceId: string,
  participantId: string,
  values: { set: { fieldId: string; value: unknown }[]; clear: string[] },
): Promise<void> {
  if (values.set.length > 0) {
    await tx.$executeRaw`
      INSERT INTO custom_field_value (workspace_id, participant_id, field_id, value, updated_at)
      SELECT ${workspaceId}::uuid, ${participantId}::uuid, c."fieldId", c.value, now()
      FROM jsonb_to_recordset(${JSON.stringify(values.set)}::jsonb) AS c("fieldId" uuid, value jsonb)
      ON CONFLICT (participant_id, field_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`;
  }
  if (values.clear.length > 0) {
    await tx.customFieldValue.deleteMany({ where: { participantId, fieldId: { in: values.clear } } });
  }
}

/** Replaces one field's stored values with their converted form (after a definition changed). */
export async function replaceCustomValues(
  tx: Tx,
  field: Pick<CustomFieldDefinition, "id" | "workspaceId">,
  converted: { participantId: string; value: unknown }[],
): Promise<void> {
  await tx.$executeRaw`
    UPDATE custom_field_value AS v SET value = c.value, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(converted)}::jsonb) AS c("participantId" uuid, value jsonb)
    WHERE v.workspace_id = ${field.workspaceId}::uuid AND v.field_id = ${field.id}::uuid
      AND v.participant_id = c."participantId" AND v.value IS DISTINCT FROM c.value`;
}
