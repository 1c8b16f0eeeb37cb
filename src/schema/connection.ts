import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { Page } from "../services/pagination.js";
import { builder } from "./builder.js";

/** A Relay connection type named `<Name>Connection` with `<Name>Edge`, plus `totalCount`. */
export function connectionOf<T>(name: string, node: Parameters<typeof builder.connectionObject>[0]["type"]) {
  return builder.connectionObject(
    {
      type: node,
      name: `${name}Connection`,
      fields: (t) => ({
        totalCount: t.int({
          description: "All rows that match the filter, on every page.",
          resolve: (connection) => (connection as unknown as Page<T>).totalCount(),
        }),
      }),
    },
    { name: `${name}Edge` },
  );
}

/** The fields of selection sets, through inline fragments and fragment spreads. */
function fieldsOf(sets: readonly SelectionSetNode[], info: GraphQLResolveInfo): FieldNode[] {
  return sets.flatMap((set) =>
    set.selections.flatMap((selection) => {
      if (selection.kind === Kind.FIELD) return [selection];
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
      return fragment ? fieldsOf([fragment.selectionSet], info) : [];
    }),
  );
}

/**
 * The names of the fields the client selected at `path` below the current field (through
 * fragments), so that a reader can leave out what nobody asked for. Directives are ignored: at
 * worst something is read and not used.
 */
export function selectedFields(info: GraphQLResolveInfo, path: string[]): Set<string> {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const step of path) {
    sets = fieldsOf(sets, info).flatMap((field) => (field.name.value === step && field.selectionSet ? [field.selectionSet] : []));
  }
  return new Set(fieldsOf(sets, info).map((field) => field.name.value));
}
