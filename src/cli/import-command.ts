import { createWriteStream, statSync } from "node:fs";
import { once } from "node:events";
import { stringify } from "csv-stringify";
import { SCOPES, type Caller } from "../auth/api-key.js";
import { scopeToWorkspace, type ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import { buildSchema } from "../schema/index.js";
import { IMPORT_LIMIT, importParticipants, importPeople, type ImportParticipantInput, type ImportResult } from "../services/import.js";
import type { PersonInput } from "../services/person.js";
import { startProgress } from "./progress.js";
import { formatOf, readRows, type FileRow } from "./read-rows.js";
import { coerceRow, decodeRecord, parseHeader, type Column, type RowKind } from "./row-codec.js";

// `participant-graph import people|participants FILE`: the file streamed in batches of the API's
// own size through the same service as importPeople / importParticipants, one batch written
// while the next is read. Each batch commits on its own, and rows are upserted by external id:
// a run stopped anywhere is finished by running it again (done rows come back UNCHANGED).

export interface ImportOptions {
  kind: RowKind;
  file: string;
  workspaceId: string;
  programKey?: string;
  dryRun: boolean;
  format?: string;
  /** Where the failed rows go (CSV: line, externalId, path, message). */
  errorsFile?: string;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rows: number;
  seconds: number;
  interrupted: boolean;
  /** The first few failures, to show without opening the errors file. */
  firstFailures: Failure[];
}

export interface Failure {
  line: number;
  externalId: string;
  path: string;
  message: string;
}

/** The caller an import writes as: the whole workspace, no key (its changes say source "import", actor none). */
export const commandLineCaller = (workspaceId: string): Caller => ({ workspaceId, apiKeyId: "", scopes: new Set(SCOPES), buckets: null, source: "import" });

/** The custom fields (as column paths) whose CSV cells are lists. */
async function multiSelectColumns(db: ScopedPrisma, kind: RowKind, programId: string | null): Promise<Set<string>> {
  const fields = await db.customFieldDefinition.findMany({ where: { type: "MULTI_SELECT" }, select: { key: true, programId: true } });
  const personPrefix = kind === "participants" ? "person.customFields" : "customFields";
  return new Set(fields.filter((f) => f.programId === null || f.programId === programId).map((f) => `${f.programId ? "customFields" : personPrefix}.${f.key}`));
}

export async function runImportCommand(database: Database, options: ImportOptions, stop: AbortSignal): Promise<ImportSummary> {
  const schema = buildSchema();
  const db = scopeToWorkspace(database.prisma, options.workspaceId) as unknown as ScopedPrisma;
  const caller = commandLineCaller(options.workspaceId);
  const program = options.programKey ? await db.program.findFirst({ where: { key: options.programKey } }) : null;
  if (options.kind === "participants" && !program) throw new Error(options.programKey ? `no program "${options.programKey}" in the workspace` : "participants need --program KEY");
  const multiSelect = await multiSelectColumns(db, options.kind, program?.id ?? null);
  const format = formatOf(options.file, options.format);
  const total = statSync(options.file).size;

  const started = Date.now();
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, failed: 0, rows: 0, seconds: 0, interrupted: false, firstFailures: [] };
  const failures = failureSink(options.errorsFile);
  const progress = startProgress(`import ${options.kind}`, total);
  let columns: Column[] = [];
  let batch: { line: number; externalId: string; row: Record<string, unknown> }[] = [];
  let writing: Promise<void> = Promise.resolve();
  let bytes = 0;

  const write = async (rows: typeof batch) => {
    const inputs = rows.map((r) => r.row);
    const result: ImportResult =
      options.kind === "people"
        ? await importPeople(db, caller, inputs as PersonInput[], options.dryRun)
        : await importParticipants(db, caller, program!.key, inputs as unknown as ImportParticipantInput[], options.dryRun);
    summary.created += result.created;
    summary.updated += result.updated;
    summary.unchanged += result.unchanged;
    summary.failed += result.failed;
    for (const row of result.rows) {
      if (row.status !== "FAILED") continue;
      const { line, externalId } = rows[row.index]!;
      // The path inside the file's row: the call's ["rows", index] prefix means nothing here.
      for (const error of row.errors) failures.add({ line, externalId, path: error.path.slice(2).join("."), message: error.message });
    }
    summary.rows += rows.length;
    progress.update(bytes, summary.rows);
  };
  // One batch written while the next is read; a failure of the database stops the run.
  const flush = async () => {
    const rows = batch;
    batch = [];
    await writing;
    writing = write(rows);
  };

  try {
    for await (const item of readRows(options.file, format, (header) => (columns = parseHeader(schema, options.kind, header)))) {
      bytes = item.bytes || bytes;
      const decoded = decode(item, columns, multiSelect);
      const checked = "error" in decoded ? decoded : coerceRow(schema, options.kind, decoded.value);
      const externalId = "value" in decoded ? externalIdOf(decoded.value) : "";
      if ("error" in checked) {
        failures.add({ line: item.line, externalId, ...checked.error, path: checked.error.path.join(".") });
        summary.rows++;
        summary.failed++;
      } else batch.push({ line: item.line, externalId, row: checked.row });
      if (batch.length === IMPORT_LIMIT) await flush();
      if (stop.aborted) {
        summary.interrupted = true;
        break;
      }
    }
    if (!summary.interrupted) await flush();
    await writing;
  } finally {
    progress.stop();
    summary.firstFailures = failures.shown;
    summary.seconds = (Date.now() - started) / 1000;
    await failures.close();
  }
  return summary;
}

const externalIdOf = (value: unknown) => {
  const id = (value as { externalId?: unknown } | null)?.externalId;
  return typeof id === "string" ? id : "";
};

function decode(item: FileRow, columns: Column[], multiSelect: ReadonlySet<string>): { value: unknown } | { error: { path: string[]; message: string } } {
  if (item.error) return { error: { path: [], message: item.error } };
  if (item.cells) return { value: decodeRecord(columns, item.cells, multiSelect) };
  return { value: item.value };
}

/** Failed rows: written to the errors file as they come, and the first few kept for the summary. */
function failureSink(file: string | undefined) {
  const shown: Failure[] = [];
  const csv = file ? stringify({ header: true, columns: ["line", "externalId", "path", "message"] }) : undefined;
  const done = file && csv ? csv.pipe(createWriteStream(file)) : undefined;
  return {
    add(failure: Failure) {
      if (shown.length < 10) shown.push(failure);
      csv?.write(failure);
    },
    shown,
    async close() {
      if (!csv || !done) return;
      csv.end();
      await once(done, "finish");
    },
  };
}
