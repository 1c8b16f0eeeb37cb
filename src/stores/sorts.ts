import type { SortSpec } from "../services/pagination.js";

/**
 * Every ordering of every connection, defined once: the path that reads its value from a row
 * (and builds its cursors) and, for lists read in SQL, its column.
 */
type Sorts<F extends string> = Record<F, Omit<SortSpec, "direction">>;

export const PERSON_SORTS = {
  CREATED_AT: { list: "people", path: ["createdAt"], kind: "date", nullable: false },
  UPDATED_AT: { list: "people", path: ["updatedAt"], kind: "date", nullable: false },
  LAST_NAME: { list: "people", path: ["lastName"], kind: "string", nullable: true },
  EMAIL: { list: "people", path: ["email"], kind: "string", nullable: true },
} satisfies Sorts<string>;

export const PARTICIPANT_SORTS = {
  SERIAL_NUMBER: { list: "participants", path: ["serialNumber"], column: "p.serial_number", kind: "int", nullable: false },
  CREATED_AT: { list: "participants", path: ["createdAt"], column: "p.created_at", kind: "date", nullable: false },
  UPDATED_AT: { list: "participants", path: ["updatedAt"], column: "p.updated_at", kind: "date", nullable: false },
  LAST_NAME: { list: "participants", path: ["person", "lastName"], column: "pe.last_name", kind: "string", nullable: true },
} satisfies Sorts<string>;

export const PROGRAM_SORT: SortSpec = { list: "programs", path: ["createdAt"], direction: "asc", kind: "date", nullable: false };
export const LEDGER_SORT: SortSpec = { list: "ledger", path: ["createdAt"], direction: "desc", kind: "date", nullable: false };
export const DELIVERY_SORT: SortSpec = { list: "deliveries", path: ["createdAt"], direction: "desc", kind: "date", nullable: false };

/** An ordering as a client asked for it: a field of the table and a direction. */
export function sortOf<F extends string>(sorts: Sorts<F>, order: { field: F; direction: "ASC" | "DESC" }): SortSpec {
  return { ...sorts[order.field], direction: order.direction === "DESC" ? "desc" : "asc" };
}
