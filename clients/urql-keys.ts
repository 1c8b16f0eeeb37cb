// urql graphcache: the types without an id of their own, embedded in their parent object.
import type { KeyingConfig } from "@urql/exchange-graphcache";

const embedded = () => null;

export const keys: KeyingConfig = {
  CustomFieldValue: embedded,
  CustomFieldOption: embedded,
  Financials: embedded,
  Balance: embedded,
  Counter: embedded,
  Tier: embedded,
  Location: embedded,
  Viewer: embedded,
};
