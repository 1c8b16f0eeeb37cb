import { getDatamodel } from "../generated/pothos-types.js";
import type { PrismaClient } from "../generated/prisma/client.js";

type RuntimeModels = Record<string, { fields: { name: string; dbName?: string | null }[] }>;

/**
 * The arguments of a `json_build_object(...)` over every scalar column of a Prisma model, under
 * the field names Prisma uses, so that a row built by PostgreSQL reads like one Prisma returns.
 * Column names come from the client's own data model, so a renamed column cannot drift from this
 * SQL. Timestamps arrive as PostgreSQL writes them in JSON (ISO 8601 with an offset, e.g.
 * `2026-07-01T10:30:00.12+00:00`): DateTime serialises such a string exactly like a Date, and
 * formatting them in SQL instead cost more than the rest of the page's JSON. One pair per field,
 * in the model's order, so that a caller can keep only some.
 */
export function jsonPairsSql(prisma: PrismaClient, model: string, alias: string): [field: string, sql: string][] {
  const runtime = (prisma as unknown as { _runtimeDataModel: { models: RuntimeModels } })._runtimeDataModel.models[model];
  const fields = getDatamodel().datamodel.models[model]?.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
  if (!runtime || !fields) throw new Error(`Unknown model ${model}`);
  return fields.map((field) => [
    field.name,
    `'${field.name}', ${alias}."${runtime.fields.find((f) => f.name === field.name)?.dbName ?? field.name}"`,
  ]);
}

/** The pairs as the argument list of `json_build_object(...)`. */
export const joinPairs = (pairs: [string, string][]) => pairs.map(([, sql]) => sql).join(", ");
