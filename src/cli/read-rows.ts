import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";

// A file's rows, one at a time, with the line each starts on: read as a stream, so that a file
// of any size is held one row (and one batch) at a time.

export type FileFormat = "csv" | "jsonl";

export interface FileRow {
  /** The line of the file the row starts on, from 1 (the CSV header is line 1). */
  line: number;
  /** The row as read: a JSON value, or a CSV record by column. */
  value?: unknown;
  cells?: string[];
  /** Why the line could not be read as a row. */
  error?: string;
  /** Bytes of the file read so far, for progress. */
  bytes: number;
}

export function formatOf(file: string, given?: string): FileFormat {
  const format = given ?? (/\.(jsonl|ndjson|json)$/i.test(file) ? "jsonl" : "csv");
  if (format !== "csv" && format !== "jsonl") throw new Error(`unknown format "${format}": use csv or jsonl`);
  return format;
}

/** The rows of a JSON lines file: one object per line, blank lines skipped. */
async function* jsonLines(file: string): AsyncGenerator<FileRow> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  let line = 0;
  let bytes = 0;
  for await (const text of lines) {
    line++;
    bytes += Buffer.byteLength(text, "utf8") + 1;
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, "").trim() : text.trim();
    if (trimmed === "") continue;
    try {
      yield { line, value: JSON.parse(trimmed), bytes };
    } catch (error) {
      yield { line, error: `Not valid JSON: ${(error as Error).message}`, bytes };
    }
  }
}

/** The header and the records of a CSV file (RFC 4180: quoted commas and line breaks, a byte order mark). */
async function* csvRecords(file: string, onHeader: (header: string[]) => void): AsyncGenerator<FileRow> {
  const skipped: FileRow[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) skipped.push({ line: (error as { lines?: number }).lines ?? 0, error: error.message, bytes: 0 });
      },
    }),
  );
  let header = true;
  let overcounted = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
    yield* skipped.splice(0);
    if (header) {
      onHeader(record.map((name) => name.trim()));
      header = false;
      continue;
    }
    // The record ends on info.lines, which counts a CR LF inside a cell as two lines: the
    // running count of those is taken off, then the line breaks in the cells say where it began.
    const breaks = (pattern: RegExp) => record.reduce((n, cell) => n + (cell.match(pattern)?.length ?? 0), 0);
    overcounted += breaks(/\r\n/g);
    const inside = breaks(/\r\n|\r|\n/g);
    yield { line: info.lines - overcounted - inside, cells: record, bytes: info.bytes };
  }
  yield* skipped.splice(0);
}

export function readRows(file: string, format: FileFormat, onHeader: (header: string[]) => void): AsyncGenerator<FileRow> {
  return format === "jsonl" ? jsonLines(file) : csvRecords(file, onHeader);
}
