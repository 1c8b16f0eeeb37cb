import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLObjectType, type SelectionSetNode } from "graphql";

/** A field as it appears in the response: its key (alias or name) and every node that asks for it. */
export interface Selected {
  key: string;
  name: string;
  nodes: FieldNode[];
}

/**
 * The fields a selection set puts in a response of type `typeName`, in response order, through
 * fragments on that same type; fields of one key are merged as execution merges them. Undefined
 * for anything whose response depends on more than the fields: a directive, a fragment on
 * another type (an interface's), a field below a leaf of which this cannot tell.
 */
export function selectionOf(sets: readonly SelectionSetNode[], typeName: string, fragments: Record<string, FragmentDefinitionNode>): Selected[] | undefined {
  const byKey = new Map<string, Selected>();
  const visit = (set: SelectionSetNode): boolean =>
    set.selections.every((selection) => {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const known = byKey.get(key);
        if (known) known.nodes.push(selection);
        else byKey.set(key, { key, name: selection.name.value, nodes: [selection] });
        return true;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment || (fragment.typeCondition && fragment.typeCondition.name.value !== typeName)) return false;
      return visit(fragment.selectionSet);
    });
  return sets.every(visit) ? [...byKey.values()] : undefined;
}

/** The merged selection below an object field, on its type. */
export function childrenOf(field: Selected, typeName: string, fragments: Record<string, FragmentDefinitionNode>): Selected[] | undefined {
  const sets = field.nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  return sets.length === field.nodes.length ? selectionOf(sets, typeName, fragments) : undefined;
}

/** Whether some node of the field passes arguments. */
const hasArguments = (field: Selected) => field.nodes.some((node) => (node.arguments?.length ?? 0) > 0);

/** An object's JSON as parts: literal JSON text, or a value `V` that writes a field's JSON. */
export type Part<V> = string | V;

/**
 * An object's parts, field by field in response order: each key as literal text, then its value
 * from `valueOf`, which may refuse a field (undefined, and the object is refused). `__typename`
 * is the type's name; fields with arguments, or not of the type, are refused.
 */
export function objectParts<V>(
  type: GraphQLObjectType,
  selection: Selected[],
  valueOf: (field: GraphQLField<unknown, unknown>, selected: Selected) => V | undefined,
): Part<V>[] | undefined {
  const parts: Part<V>[] = [];
  for (const selected of selection) {
    parts.push(`${parts.length ? "," : "{"}${JSON.stringify(selected.key)}:`);
    if (selected.name === "__typename") {
      parts.push(JSON.stringify(type.name));
      continue;
    }
    const field = type.getFields()[selected.name];
    const value = field && !hasArguments(selected) ? valueOf(field, selected) : undefined;
    if (value === undefined) return undefined;
    parts.push(value);
  }
  parts.push(parts.length ? "}" : "{}");
  return parts;
}
