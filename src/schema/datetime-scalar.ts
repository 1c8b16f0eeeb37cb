import { GraphQLError, GraphQLScalarType, type ValueNode } from "graphql";
import { DateTimeResolver } from "graphql-scalars";

// graphql-scalars accepts any year JavaScript can hold; the database and every client agree on
// years 1 to 9999 only.
const YEARS = { min: 1, max: 9999 };

function inRange(date: Date): Date {
  const year = date.getUTCFullYear();
  if (year < YEARS.min || year > YEARS.max) {
    throw new GraphQLError(`DateTime must be between the years ${YEARS.min} and ${YEARS.max}.`, { extensions: { code: "BAD_USER_INPUT" } });
  }
  return date;
}

/** graphql-scalars' DateTime, limited to the years that can be stored. */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  parseValue: (value: unknown) => inRange(DateTimeResolver.parseValue(value) as Date),
  // One parameter: a DateTime literal is a string, never holds variables.
  parseLiteral: (ast: ValueNode) => inRange(DateTimeResolver.parseLiteral(ast, {}) as Date),
});
