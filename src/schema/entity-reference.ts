import { GraphQLError, isUnionType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { InvalidInput } from "../errors.js";

/**
 * The key a federation representation names an entity by. A router sends what its clients gave
 * it: a key that is missing or not a string is that representation's error, and leaves the
 * others of the same request to resolve.
 */
export function referenceKey(representation: object, field: string): string {
  const value = (representation as Record<string, unknown>)[field];
  if (typeof value !== "string") throw InvalidInput.field(["representations", field], `A representation needs \`${field}\` as a string.`);
  return value;
}

/**
 * Resolves each representation of `_entities` on its own: a malformed one (not an object, an
 * unknown type, a bad key) becomes the error of its own position, null beside the others,
 * instead of failing the whole list as the stock resolver's first throw does.
 */
export function isolateEntityReferences(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  if (!field?.resolve) return;
  const union = schema.getType("_Entity");
  const entityTypes = new Set(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
  const resolveAll = field.resolve as GraphQLFieldResolver<unknown, unknown, { representations: unknown[] }>;
  field.resolve = (root, args: { representations: unknown[] }, context, info) =>
    args.representations.map((representation, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      if (typeof typename !== "string" || !entityTypes.has(typename)) {
        return InvalidInput.field(["representations", String(index), "__typename"], "Not an entity type of this subgraph.");
      }
      try {
        const [result] = resolveAll(root, { representations: [representation] }, context, info) as unknown[];
        return result instanceof Promise ? result.catch((error: unknown) => asError(error)) : result;
      } catch (error) {
        return asError(error);
      }
    });
}

const asError = (error: unknown) => (error instanceof Error ? error : new GraphQLError(String(error)));
