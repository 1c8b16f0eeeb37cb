import type { Database } from "../db/client.js";
import { changeStore } from "./change-store.js";
import { customFieldStore } from "./custom-field-store.js";
import { nodeStore } from "./node-store.js";
import { participantStore } from "./participant-store.js";
import { personStore } from "./person-store.js";

/** The stores of one workspace: the code that reads those entities with SQL. */
export function createStores(db: Database, workspaceId: string) {
  return {
    participants: participantStore(db, workspaceId),
    persons: personStore(db, workspaceId),
    customFields: customFieldStore(db, workspaceId),
    nodes: nodeStore(db, workspaceId),
    changes: changeStore(db, workspaceId),
  };
}

export type Stores = ReturnType<typeof createStores>;
