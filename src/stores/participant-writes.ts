import type { Tx } from "../db/transaction.js";
import type { CustomFieldDefinition } from "../generated/prisma/client.js";
import { jsonFields } from "./columns.js";

/** What a participant's update needs to know of it before it writes. */
export interface ParticipantToChange {
  id: string;
  programId: string;
  personId: string;
  /** Its program's field definitions, when asked for. */
  definitions: CustomFieldDefinition[] | null;
}

/**
 * The participant a write changes, with its program's field definitions when the write sets
 * custom values: one statement where there were two model reads, each a round trip inside the
 * write's transaction. Raw SQL is not scoped: the workspace is named.
 */
export async function participantToChange(tx: Tx, workspaceId: string, id: string, withDefinitions: boolean): Promise<ParticipantToChange | undefined> {
  const [row] = await tx.$queryRaw<ParticipantToChange[]>`
    SELECT p.id, p.program_id AS "programId", p.person_id AS "personId",
      CASE WHEN ${withDefinitions}::boolean THEN
        (SELECT coalesce(jsonb_agg(jsonb_build_object(${jsonFields("CustomFieldDefinition", "d")})), '[]') FROM custom_field_definition d WHERE d.program_id = p.program_id)
      END AS definitions
    FROM participant p WHERE p.workspace_id = ${workspaceId}::uuid AND p.id = ${id}::uuid`;
  return row;
}
