import type { Tenant } from "./harness.js";

let counter = 0;
/** A value no other fixture has used in this process: keeps tests independent of each other. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export interface FieldSpec {
  key: string;
  type: string;
  label?: string;
  required?: boolean;
  options?: { value: string; label: string }[];
}

/** One custom field of every type, the two choice fields with `options`. */
export const fieldOfEveryType = (options: { value: string; label: string }[]): FieldSpec[] => [
  { key: "text", type: "TEXT" },
  { key: "number", type: "NUMBER" },
  { key: "flag", type: "BOOLEAN" },
  { key: "day", type: "DATE" },
  { key: "moment", type: "DATETIME" },
  { key: "colour", type: "SELECT", options },
  { key: "colours", type: "MULTI_SELECT", options },
  { key: "mail", type: "EMAIL" },
  { key: "site", type: "URL" },
];

export async function createProgram(tenant: Tenant, fields: FieldSpec[] = [], key = unique("prog")) {
  const { createProgram: program } = await tenant.ok(
    `mutation($input: CreateProgramInput!) { createProgram(input: $input) { id key } }`,
    { input: { key, name: `Program ${key}` } },
  );
  const fieldIds: Record<string, string> = {};
  for (const field of fields) {
    const { defineCustomField } = await tenant.ok(
      `mutation($programId: ID!, $input: CustomFieldInput!) { defineCustomField(programId: $programId, input: $input) { id } }`,
      { programId: program.id, input: { label: field.key, ...field } },
    );
    fieldIds[field.key] = defineCustomField.id;
  }
  return { id: program.id as string, key: program.key as string, fieldIds };
}

export const PARTICIPANT_FIELDS = `id serialNumber externalId status statusReason statusChangedAt email phone firstName lastName displayName
  tags attributes version createdAt updatedAt person { id email firstName lastName displayName phone version }
  customFields { key value displayValue updatedAt }`;

export async function enroll(tenant: Tenant, programKey: string, input: Record<string, unknown> = {}) {
  const { enrollParticipant } = await tenant.ok(
    `mutation($input: EnrollParticipantInput!) { enrollParticipant(input: $input) { ${PARTICIPANT_FIELDS} } }`,
    { input: { programKey, person: { firstName: "Test", lastName: unique("Person") }, ...input } },
  );
  return enrollParticipant;
}

export async function createPerson(tenant: Tenant, input: Record<string, unknown> = {}) {
  const { createPerson: person } = await tenant.ok(
    `mutation($input: CreatePersonInput!) { createPerson(input: $input) { id externalId email firstName lastName version tags } }`,
    { input: { firstName: "Pat", lastName: unique("Person"), ...input } },
  );
  return person;
}
