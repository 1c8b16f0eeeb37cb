import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { stringify } from "csv-stringify";
import { getNamedType, GraphQLInputObjectType, type GraphQLSchema } from "graphql";
import { scopeToWorkspace, type ScopedPrisma } from "../auth/tenant-scope.js";
import type { Database } from "../db/client.js";
import type { Person } from "../generated/prisma/client.js";
import { buildSchema } from "../schema/index.js";
import { DEFAULT_BUCKET } from "../services/attributes.js";
import { startProgress } from "./progress.js";
import { encodeRecord, fixedColumns, parseHeader, type RowKind } from "./row-codec.js";

// `participant-graph export people|participants`: every record of the workspace (or program) as
// the rows import reads, page by page, so that export → import into an empty workspace → export
// gives the same file. People are in external id order, participants in serial number order (which
// import gives in file order); values that
// are not set are left out, keyed columns are sorted, so that the file depends on the data only.

export interface ExportOptions {
  kind: RowKind;
  workspaceId: string;
  programKey?: string;
  format: "csv" | "jsonl";
  /** A file, or standard output when not given. */
  out?: string;
}

const PAGE = 500;
type Row = Record<string, unknown>;

/** The keys seen in a set of rows, for the CSV header's keyed columns. */
interface Keys {
  attributes: string[];
  customFields: string[];
  identities: string[];
  personAttributes: string[];
  personFields: string[];
}

const sorted = (rows: { k: string }[]) => rows.map((r) => r.k);

async function keysOf(db: ScopedPrisma, database: Database, workspaceId: string, programId: string | null): Promise<Keys> {
  // The persons exported: all, or the program's participants'.
  const persons = programId ? `AND person_id IN (SELECT person_id FROM participant WHERE program_id = $2)` : "";
  const params = programId ? [workspaceId, programId] : [workspaceId];
  const [personAttributes, identities, attributes, definitions] = await Promise.all([
    database.query<{ k: string }>(
      `SELECT DISTINCT a.key COLLATE "C" AS k FROM person_attribute a JOIN attribute_bucket b ON b.id = a.bucket_id
       WHERE a.workspace_id = $1 AND b.name = '${DEFAULT_BUCKET}' ${persons.replace("person_id", "a.person_id")} ORDER BY 1`,
      params,
    ),
    database.query<{ k: string }>(`SELECT DISTINCT system COLLATE "C" AS k FROM person_identity WHERE workspace_id = $1 ${persons} ORDER BY 1`, params),
    programId
      ? database.query<{ k: string }>(`SELECT DISTINCT k COLLATE "C" AS k FROM participant, jsonb_object_keys(attributes) AS k WHERE workspace_id = $1 AND program_id = $2 ORDER BY 1`, params)
      : [],
    db.customFieldDefinition.findMany({ where: { archived: false, OR: [{ programId: null }, ...(programId ? [{ programId }] : [])] }, select: { key: true, programId: true } }),
  ]);
  const keysOfFields = (program: boolean) => definitions.filter((d) => (d.programId !== null) === program).map((d) => d.key).sort();
  return { attributes: sorted(attributes), customFields: keysOfFields(true), identities: sorted(identities), personAttributes: sorted(personAttributes), personFields: keysOfFields(false) };
}

/** The CSV header: the row type's fixed columns, then its keyed ones. */
function header(schema: GraphQLSchema, kind: RowKind, keys: Keys): string[] {
  const person = kind === "participants" ? "person." : "";
  return [
    ...fixedColumns(schema, kind),
    ...(kind === "participants" ? [...keys.attributes.map((k) => `attributes.${k}`), ...keys.customFields.map((k) => `customFields.${k}`)] : []),
    ...keys.identities.map((k) => `${person}identities.${k}`),
    ...keys.personAttributes.map((k) => `${person}attributes.${k}`),
    ...keys.personFields.map((k) => `${person}customFields.${k}`),
  ];
}

/** A stored value as a row field: dates as ISO text; nothing for null, empty lists and empty objects. */
function shown(value: unknown, type: unknown): unknown {
  if (value == null) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.length > 0 ? value : undefined;
  if (type instanceof GraphQLInputObjectType && typeof value === "object") {
    const picked = Object.fromEntries(
      Object.keys(type.getFields())
        .map((k) => [k, (value as Row)[k]])
        .filter(([, v]) => v != null),
    );
    return Object.keys(picked).length > 0 ? picked : undefined;
  }
  return value;
}

/** A stored record as a row of the input type named, fields in the type's order. */
function rowOf(schema: GraphQLSchema, typeName: string, source: Row): Row {
  const type = schema.getType(typeName) as GraphQLInputObjectType;
  const row: Row = {};
  for (const field of Object.values(type.getFields())) {
    const value = shown(source[field.name], getNamedType(field.type));
    if (value !== undefined) row[field.name] = value;
  }
  return row;
}

const byKey = (pairs: { key: string; value: unknown }[]) => (pairs.length ? pairs.sort((a, b) => (a.key < b.key ? -1 : 1)) : undefined);

/** The persons with these ids as import rows, with their default bucket, person fields and ids in other systems. */
async function personRows(schema: GraphQLSchema, db: ScopedPrisma, persons: Person[]): Promise<Map<string, Row>> {
  const ids = persons.map((p) => p.id);
  const [attributes, values, identities] = await Promise.all([
    db.personAttribute.findMany({ where: { personId: { in: ids }, bucket: { name: DEFAULT_BUCKET } }, select: { personId: true, key: true, value: true } }),
    db.personFieldValue.findMany({ where: { personId: { in: ids }, field: { archived: false } }, select: { personId: true, value: true, field: { select: { key: true } } } }),
    db.personIdentity.findMany({ where: { personId: { in: ids } }, select: { personId: true, system: true, externalId: true } }),
  ]);
  const of = <T extends { personId: string }>(list: T[], id: string) => list.filter((x) => x.personId === id);
  return new Map(
    persons.map((p) => {
      const attrs = Object.fromEntries(of(attributes, p.id).sort((a, b) => (a.key < b.key ? -1 : 1)).map((a) => [a.key, a.value]));
      return [
        p.id,
        rowOf(schema, "CreatePersonInput", {
          ...p,
          identities: of(identities, p.id).map((i) => ({ system: i.system, id: i.externalId })).sort((a, b) => (a.system < b.system ? -1 : 1)),
          attributes: Object.keys(attrs).length ? attrs : undefined,
          customFields: byKey(of(values, p.id).map((v) => ({ key: v.field.key, value: v.value }))),
        }),
      ];
    }),
  );
}

/** The workspace's rows of one kind, page by page. */
async function* pages(schema: GraphQLSchema, db: ScopedPrisma, kind: RowKind, programId: string | null): AsyncGenerator<Row[]> {
  if (kind === "people") {
    // By external id (what a re-import keeps), then those without one by id.
    let after: string | undefined;
    for (;;) {
      const persons = await db.person.findMany({ where: { externalId: after === undefined ? { not: null } : { gt: after } }, orderBy: { externalId: "asc" }, take: PAGE });
      if (persons.length === 0) break;
      yield [...(await personRows(schema, db, persons)).values()];
      after = persons.at(-1)!.externalId!;
    }
    let afterId: string | undefined;
    for (;;) {
      const persons = await db.person.findMany({ where: { externalId: null, ...(afterId ? { id: { gt: afterId } } : {}) }, orderBy: { id: "asc" }, take: PAGE });
      if (persons.length === 0) return;
      yield [...(await personRows(schema, db, persons)).values()];
      afterId = persons.at(-1)!.id;
    }
  }
  let serial = 0;
  for (;;) {
    const participants = await db.participant.findMany({ where: { programId: programId!, serialNumber: { gt: serial } }, orderBy: { serialNumber: "asc" }, take: PAGE });
    if (participants.length === 0) return;
    const ids = participants.map((p) => p.id);
    const [persons, values] = await Promise.all([
      db.person.findMany({ where: { id: { in: participants.map((p) => p.personId) } } }),
      db.customFieldValue.findMany({ where: { participantId: { in: ids }, field: { archived: false } }, select: { participantId: true, value: true, field: { select: { key: true } } } }),
    ]);
    const people = await personRows(schema, db, persons);
    yield participants.map((p) => {
      const attributes = Object.fromEntries(Object.entries((p.attributes ?? {}) as Row).sort(([a], [b]) => (a < b ? -1 : 1)));
      return rowOf(schema, "ImportParticipantRow", {
        ...p,
        person: people.get(p.personId),
        attributes: Object.keys(attributes).length ? attributes : undefined,
        customFields: byKey(values.filter((v) => v.participantId === p.id).map((v) => ({ key: v.field.key, value: v.value }))),
      });
    });
    serial = participants.at(-1)!.serialNumber;
  }
}

async function put(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

export async function runExportCommand(database: Database, options: ExportOptions): Promise<{ rows: number; seconds: number }> {
  const schema = buildSchema();
  const db = scopeToWorkspace(database.prisma, options.workspaceId) as unknown as ScopedPrisma;
  const program = options.programKey ? await db.program.findFirst({ where: { key: options.programKey } }) : null;
  if (options.kind === "participants" && !program) throw new Error(options.programKey ? `no program "${options.programKey}" in the workspace` : "participants need --program KEY");
  const total = options.kind === "people" ? await db.person.count() : await db.participant.count({ where: { programId: program!.id } });
  const started = Date.now();
  const file = options.out ? createWriteStream(options.out) : process.stdout;
  const progress = startProgress(`export ${options.kind}`, total);
  let rows = 0;
  let csv: ReturnType<typeof stringify> | undefined;
  let columns: ReturnType<typeof parseHeader> = [];
  try {
    if (options.format === "csv") {
      const names = header(schema, options.kind, await keysOf(db, database, options.workspaceId, program?.id ?? null));
      columns = parseHeader(schema, options.kind, names);
      csv = stringify();
      csv.pipe(file, { end: false });
      csv.write(names);
    }
    for await (const page of pages(schema, db, options.kind, program?.id ?? null)) {
      for (const row of page) {
        if (csv) {
          if (!csv.write(encodeRecord(columns, row))) await once(csv, "drain");
        } else await put(file, JSON.stringify(row) + "\n");
      }
      rows += page.length;
      progress.update(rows, rows);
    }
  } finally {
    progress.stop();
    const flushed = csv ? once(csv, "end") : Promise.resolve();
    csv?.end();
    await flushed;
    if (file !== process.stdout) {
      file.end();
      await once(file, "finish");
    }
  }
  return { rows, seconds: (Date.now() - started) / 1000 };
}
