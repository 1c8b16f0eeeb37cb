import type { NodeType } from "../stores/node-store.js";
import { visibleTo } from "./changes.js";
import type { RequestScope } from "./scope.js";
import { isUuid } from "./validate.js";

/** `node(id:)` for one request: any object of the caller's workspace by its id alone. */
export function nodeService({ db, caller, loaders, stores }: RequestScope) {
  function load(type: NodeType, id: string): Promise<object | null> {
    const where = { where: { id } };
    switch (type) {
      case "Person":
        return loaders.personById.load(id);
      case "Participant":
        return loaders.participantById.load(id);
      case "Program":
        return loaders.programById.load(id);
      case "CustomFieldDefinition":
        return db.customFieldDefinition.findUnique(where);
      case "LedgerEntry":
        return db.ledgerEntry.findUnique(where);
      case "ApiKey":
        return db.apiKey.findUnique(where);
      case "Change":
        return stores.changes.byIds([id]).then(([change]) => (change ? visibleTo(caller, change) ?? null : null));
      case "WebhookEndpoint":
        return caller.scopes.has("admin") ? db.webhookEndpoint.findUnique(where) : Promise.resolve(null);
      case "WebhookDelivery":
        return caller.scopes.has("admin") ? db.webhookDelivery.findUnique(where) : Promise.resolve(null);
      case "Workspace":
        return db.workspace.findUnique(where);
    }
  }

  return {
    /** The object with this id and its GraphQL type, or undefined. */
    async find(id: string): Promise<{ type: NodeType; node: object } | undefined> {
      if (!isUuid(id)) return undefined;
      const type = await stores.nodes.typeOf(id);
      const node = type && (await load(type, id));
      return node ? { type: type!, node } : undefined;
    },
  };
}
