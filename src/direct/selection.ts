import { Kind, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";

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
export const hasArguments = (field: Selected) => field.nodes.some((node) => (node.arguments?.length ?? 0) > 0);
