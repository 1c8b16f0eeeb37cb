import { getDatamodel } from "../generated/pothos-types.js";
import type { PrismaClient } from "../generated/prisma/client.js";

type RuntimeModels = Record<string, { fields: { name: string; dbName?: string | null }[] }>;

/**
 * The arguments of a `json_build_object(...)` over every scalar column of a Prisma model, under
 * the field names Prisma uses, so that a row built by PostgreSQL reads like one Prisma returns. Timestamps come
 * as ISO 8601 strings in UTC with milliseconds (what Prisma's Date would print); DateTime
 * serialises both. Column names come from the client's own data model, so a renamed column
 * cannot drift from this SQL.
 */
export function jsonPairsSql(prisma: PrismaClient, model: string, alias: string): string {
  const runtime = (prisma as unknown as { _runtimeDataModel: { models: RuntimeModels } })._runtimeDataModel.models[model];
  const fields = getDatamodel().datamodel.models[model]?.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
  if (!runtime || !fields) throw new Error(`Unknown model ${model}`);
  const pairs = fields.map((field) => {
    const column = `${alias}."${runtime.fields.find((f) => f.name === field.name)?.dbName ?? field.name}"`;
    return `'${field.name}', ${field.type === "DateTime" ? isoTimestamp(column) : column}`;
  });
  return pairs.join(", ");
}

/** A timestamptz as `YYYY-MM-DDTHH:MM:SS.mmmZ`, whatever the session's time zone. */
export function isoTimestamp(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
