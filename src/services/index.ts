import { bucketService } from "./attributes.js";
import { changeService } from "./changes.js";
import { customFieldService } from "./custom-field.js";
import { importService } from "./import.js";
import { ledgerService } from "./ledger.js";
import { nodeService } from "./node.js";
import { participantService } from "./participant.js";
import { personService } from "./person.js";
import { personExportService } from "./person-export.js";
import { programService } from "./program.js";
import { lazyOf } from "../lazy.js";
import type { RequestScope } from "./scope.js";
import { webhookService } from "./webhooks.js";
import { apiKeyService } from "./workspace.js";

export type { RequestScope } from "./scope.js";

const SERVICES = {
  persons: personService,
  participants: participantService,
  programs: programService,
  buckets: bucketService,
  customFields: customFieldService,
  ledger: ledgerService,
  apiKeys: apiKeyService,
  nodes: nodeService,
  changes: changeService,
  webhooks: webhookService,
  imports: importService,
  personExports: personExportService,
};

export type Services = { readonly [K in keyof typeof SERVICES]: ReturnType<(typeof SERVICES)[K]> };

const LazyServices = lazyOf(SERVICES);

/**
 * The services of one request, each bound to its scope and made when first used: resolvers call
 * `ctx.services.<domain>.<operation>(…)`, and every rule (validation, buckets, transactions) is
 * behind that call.
 */
export function createServices(scope: RequestScope): Services {
  return new LazyServices(scope);
}
