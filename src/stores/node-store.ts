import type { Database } from "../db/client.js";
import { join, raw, rows, sql } from "./sql.js";

// Ids are plain UUIDs, as the spec requires, so the type of a node is found by looking it up.
const NODE_TABLES = {
  Person: "person",
  Participant: "participant",
  Program: "program",
  CustomFieldDefinition: "custom_field_definition",
  LedgerEntry: "ledger_entry",
  ApiKey: "api_key",
  Change: "change",
  WebhookEndpoint: "webhook_endpoint",
  WebhookDelivery: "webhook_delivery",
} as const;

export type NodeType = keyof typeof NODE_TABLES | "Workspace";

/** Which of the workspace's tables holds an id: one statement over all of them. */
export function nodeStore(db: Database, workspaceId: string) {
  return {
    async typeOf(id: string): Promise<NodeType | undefined> {
      const selects = Object.entries(NODE_TABLES).map(
        ([type, table]) => sql`SELECT ${type}::text AS type FROM ${raw(`"${table}"`)} WHERE id = ${id}::uuid AND workspace_id = ${workspaceId}::uuid`,
      );
      selects.push(sql`SELECT 'Workspace'::text AS type FROM workspace WHERE id = ${id}::uuid AND id = ${workspaceId}::uuid`);
      const [found] = await rows<{ type: NodeType }>(db, sql`${join(selects, " UNION ALL ")} LIMIT 1`);
      return found?.type;
    },
  };
}
