import { IMPORT_LIMIT, type ImportParticipantInput, type ImportResult, type ImportRowResult } from "../services/import.js";
import { builder } from "./builder.js";
import { NotFound } from "../errors.js";
import { lookup, personLookupArgs, StatusEnum } from "./common.js";
import { CustomFieldValueInput } from "./custom-field.js";
import { CreatePersonInput } from "./person.js";

const ImportRowStatusEnum = builder.enumType("ImportRowStatus", {
  values: {
    CREATED: {},
    UPDATED: {},
    UNCHANGED: { description: "The row matched what is stored: nothing was written, no version moved." },
    FAILED: { description: "The row was refused; `errors` says why. The other rows are not affected." },
  } as const,
});

const FieldErrorRef = builder.objectRef<ImportRowResult["errors"][number]>("FieldError").implement({
  fields: (t) => ({
    path: t.exposeStringList("path", { description: 'Where in the input, e.g. ["rows", "3", "customFields", "tier"].' }),
    message: t.exposeString("message"),
  }),
});

const ImportRowResultRef = builder.objectRef<ImportRowResult>("ImportRowResult").implement({
    fields: (t) => ({
      index: t.exposeInt("index", { description: "The row's position in `rows`, from 0." }),
      status: t.field({ type: ImportRowStatusEnum, resolve: (r) => r.status }),
      id: t.exposeID("id", { nullable: true, description: "The person's or participant's id (a new one's too under dryRun); null when the row failed." }),
      errors: t.field({ type: [FieldErrorRef], resolve: (r) => r.errors }),
    }),
  });

const ImportResultRef = builder.objectRef<ImportResult>("ImportResult").implement({
    fields: (t) => ({
      created: t.exposeInt("created"),
      updated: t.exposeInt("updated"),
      unchanged: t.exposeInt("unchanged"),
      failed: t.exposeInt("failed"),
      rows: t.field({ type: [ImportRowResultRef], resolve: (r) => r.rows }),
    }),
  });

const ImportParticipantRow = builder.inputType("ImportParticipantRow", {
  description: "A participant upserted by its external id in the program; its person matched by `person.externalId`, or created.",
  fields: (t) => ({
    externalId: t.string({ required: true }),
    person: t.field({ type: CreatePersonInput, required: true }),
    status: t.field({ type: StatusEnum }),
    tags: t.stringList({ description: "Replaces the participant's tags." }),
    attributes: t.field({ type: "JSONObject", description: "Merged into the participant's attributes." }),
    customFields: t.field({ type: [CustomFieldValueInput] }),
  }),
});

const DRY_RUN = { defaultValue: false, description: "Validate and compare only: nothing is written." };

builder.mutationFields((t) => ({
  importPeople: t.field({
    type: ImportResultRef,
    description: `Upserts up to ${IMPORT_LIMIT} persons by externalId. Each row stands alone: a bad row fails with its errors, the others are written; a row equal to what is stored writes nothing.`,
    args: { rows: t.arg({ type: [CreatePersonInput], required: true }), dryRun: t.arg.boolean(DRY_RUN) },
    resolve: (_root, { rows, dryRun }, ctx) => ctx.services.imports.people(rows, dryRun ?? false),
  }),
  importParticipants: t.field({
    type: ImportResultRef,
    description: `Upserts up to ${IMPORT_LIMIT} participants of a program by their externalId, with their persons. Rows stand alone, as in importPeople.`,
    args: {
      programKey: t.arg.string({ required: true }),
      rows: t.arg({ type: [ImportParticipantRow], required: true }),
      dryRun: t.arg.boolean(DRY_RUN),
    },
    resolve: (_root, { programKey, rows, dryRun }, ctx) => ctx.services.imports.participants(programKey, rows as ImportParticipantInput[], dryRun ?? false),
  }),
}));

builder.queryFields((t) => ({
  personExport: t.field({
    type: "JSONObject",
    nullable: true,
    authScopes: { admin: true },
    description: "Everything held about one person, as one JSON document: profile, every bucket, person fields, identities, consent, participations with custom values, tiers and ledger, and their history.",
    args: personLookupArgs,
    resolve: (_root, which, ctx) => ctx.services.personExports.export(lookup(which)).catch((error) => (error instanceof NotFound ? null : Promise.reject(error))),
  }),
}));
