import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

/** What a Decimal field may resolve to: Prisma's Decimal (decimal.js) or an exact string. */
export type DecimalValue = string | { toFixed(): string };

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const MAX_DIGITS = 38;

function parse(value: unknown): string {
  const text = typeof value === "string" ? value : undefined;
  if (text === undefined || !DECIMAL.test(text)) {
    throw new GraphQLError('Decimal must be a string such as "1500.25"', {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  if (text.replace(/[-.]/g, "").length > MAX_DIGITS) {
    throw new GraphQLError(`Decimal may have at most ${MAX_DIGITS} digits`, { extensions: { code: "BAD_USER_INPUT" } });
  }
  return text;
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: "Decimal",
  description: 'Exact decimal number, always serialised as a string, e.g. "1500.25".',
  // toFixed() without arguments never switches to exponent notation, unlike toString().
  serialize: (value) => (typeof value === "string" ? value : (value as { toFixed(): string }).toFixed()),
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return parse(ast.value);
    throw new GraphQLError('Decimal literals are strings, e.g. "1500.25"', { extensions: { code: "BAD_USER_INPUT" } });
  },
});
