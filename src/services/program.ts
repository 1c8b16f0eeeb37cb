import { inTransaction } from "../db/transaction.js";
import { Conflict, InvalidInput, NotFound } from "../errors.js";
import type { Program } from "../generated/prisma/client.js";
import { PROGRAM_SORT } from "../stores/sorts.js";
import { keysetPage, type Page, type PageArgs } from "./pagination.js";
import type { RequestScope } from "./scope.js";
import { isUuid } from "./validate.js";

const PROGRAM_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;

function checkName(name: string, path: string[]): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 255) throw InvalidInput.field(path, "A name has 1 to 255 characters.");
  return trimmed;
}

/** Programs for one request. A program's key is its callers' name for it and never changes. */
export function programService({ db, caller }: RequestScope) {
  return {
    /** By `id` or by `key`, exactly one of them; null when none. */
    async find({ id, key }: { id?: string | null; key?: string | null }): Promise<Program | null> {
      if ((id == null) === (key == null)) throw InvalidInput.field([], "Give exactly one of `id` and `key`.");
      if (id != null) return isUuid(id) ? db.program.findUnique({ where: { id } }) : null;
      return db.program.findFirst({ where: { key: key! } });
    },

    page: (args: PageArgs): Promise<Page<Program>> =>
      keysetPage(args, PROGRAM_SORT, {}, (q) => db.program.findMany(q as object), (q) => db.program.count(q as object)),

    async create(input: { key: string; name: string }): Promise<Program> {
      if (!PROGRAM_KEY.test(input.key)) {
        throw InvalidInput.field(["input", "key"], "A key is a slug: up to 64 lower-case letters, digits and dashes.");
      }
      const name = checkName(input.name, ["input", "name"]);
      if (await db.program.findFirst({ where: { key: input.key } })) throw new Conflict(`A program with key "${input.key}" already exists.`);
      return inTransaction(db, caller, (tx) => tx.program.create({ data: { workspaceId: caller.workspaceId, key: input.key, name } }));
    },

    async update(id: string, input: { name?: string | null }): Promise<Program> {
      if (input.name === null) throw InvalidInput.field(["input", "name"], "Cannot be null.");
      const name = input.name === undefined ? undefined : checkName(input.name, ["input", "name"]);
      const { count } = isUuid(id) ? await inTransaction(db, caller, (tx) => tx.program.updateMany({ where: { id }, data: { name, updatedAt: new Date() } })) : { count: 0 };
      if (count === 0) throw new NotFound("Program");
      return db.program.findUniqueOrThrow({ where: { id } });
    },
  };
}
