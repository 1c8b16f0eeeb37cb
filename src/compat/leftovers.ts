import { InvalidInput } from "../errors.js";
import type { Services } from "../services/index.js";

/**
 * Writes an input; fields the graph refuses are taken out and written again without them, so
 * that a dialect's client keeps working. Returns what was refused, by the input's field names.
 */
export async function placeLeniently<T extends Record<string, unknown>>(
  input: T,
  write: (input: T) => Promise<unknown>,
): Promise<{ refused: Record<string, unknown> }> {
  let current: Record<string, unknown> = { ...input };
  const refused: Record<string, unknown> = {};
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await write(current as T);
      return { refused };
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const next = { ...current };
      for (const { path } of error.fieldErrors) {
        const [, field, sub] = path;
        if (!field || !(field in next)) throw error;
        if (sub && typeof next[field] === "object" && next[field] !== null && !Array.isArray(next[field])) {
          const inner = { ...(next[field] as Record<string, unknown>) };
          refused[`${field}.${sub}`] = inner[sub];
          delete inner[sub];
          next[field] = inner;
        } else {
          refused[field] = next[field];
          delete next[field];
        }
      }
      current = next;
    }
  }
  throw InvalidInput.field([], "The request could not be placed.");
}

/** Keeps values without a home in the graph in an attribute bucket named after the dialect. */
export async function keepInBucket(services: Services, personId: string, bucket: string, values: Record<string, unknown>): Promise<void> {
  if (Object.keys(values).length === 0) return;
  await services.buckets.ensure(bucket);
  await services.persons.setAttributes({ id: personId }, bucket, values);
}
