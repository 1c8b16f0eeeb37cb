import { Kind, type DocumentNode, type OperationDefinitionNode, type VariableDefinitionNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLObjectType, type GraphQLSchema } from "graphql";
import type { Context } from "../schema/builder.js";
import type { Page } from "../services/pagination.js";
import type { JsonNode, JsonRow } from "../stores/participant-store.js";
import { empty, sql } from "../stores/sql.js";
import { isUuid } from "../services/validate.js";
import { participantJson, personJson } from "./json-sql.js";
import { childrenOf, objectParts, selectionOf, type Selected } from "./selection.js";

/**
 * An operation answered without resolvers: its one root field's JSON text, written by PostgreSQL
 * (rows) and by this plan (what surrounds them). `answer` gives undefined when the ordinary
 * execution must answer instead: a row it cannot write the same way.
 */
export interface DirectPlan {
  key: string;
  /** The operation's variables, coerced as graphql-js coerces them before `answer`. */
  variables: readonly VariableDefinitionNode[];
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  answer(context: Context, args: Record<string, unknown>): Promise<string | undefined>;
}

type Fragments = Record<string, FragmentDefinitionNode>;
type Write<T> = (value: T) => string;

/** The plan of an operation, or undefined when it is not a read this knows to answer directly. */
export function directPlan(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | null | undefined): DirectPlan | undefined {
  const query = schema.getQueryType();
  if (operation?.operation !== "query" || !query) return undefined;
  const fragments: Fragments = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const root = selectionOf([operation.selectionSet], query.name, fragments);
  if (root?.length !== 1 || root[0]!.nodes.length !== 1) return undefined;
  const [selected] = root as [Selected];
  const field = query.getFields()[selected.name];
  if (!field) return undefined;
  const base = { key: selected.key, variables: operation.variableDefinitions ?? [], field, node: selected.nodes[0]! };
  const type = (name: string) => schema.getType(name) as GraphQLObjectType;

  if (selected.name === "participant") {
    const fields = childrenOf(selected, "Participant", fragments);
    const json = fields && participantJson(schema, fields, fragments);
    return (
      json && {
        ...base,
        async answer(context, args) {
          const row = await context.services.participants.json.find({ ...args, id: args.id == null ? (args.id as null) : String(args.id) }, json);
          return row?.unusual ? undefined : (row?.json ?? "null");
        },
      }
    );
  }

  if (selected.name === "participants") {
    const connection = type("ParticipantConnection");
    const fields = childrenOf(selected, connection.name, fragments);
    let nodeSelection: Selected[] | undefined;
    const edge = type("ParticipantEdge");
    const pageInfo = type("PageInfo");
    const writeEdge = (edges: Selected) => {
      const edgeFields = childrenOf(edges, edge.name, fragments);
      return (
        edgeFields &&
        objectWriter<Page<JsonRow>["edges"][number]>(edge, edgeFields, (s) => {
          if (s.name === "cursor") return (e) => JSON.stringify(e.cursor);
          if (s.name !== "node" || nodeSelection) return undefined;
          nodeSelection = childrenOf(s, "Participant", fragments);
          return nodeSelection && ((e) => e.node.json);
        })
      );
    };
    const write =
      fields &&
      objectWriter<{ page: Page<JsonRow>; total?: number }>(connection, fields, (s) => {
        if (s.name === "totalCount") return ({ total }) => String(total);
        if (s.name === "pageInfo") {
          const infoFields = childrenOf(s, pageInfo.name, fragments);
          const info = infoFields && objectWriter<Page<JsonRow>["pageInfo"]>(pageInfo, infoFields, (f) => (p) => JSON.stringify(p[f.name as keyof typeof p]));
          return info && (({ page }) => info(page.pageInfo));
        }
        if (s.name !== "edges") return undefined;
        const each = writeEdge(s);
        return each && (({ page }) => `[${page.edges.map(each).join(",")}]`);
      });
    const json = nodeSelection ? participantJson(schema, nodeSelection, fragments) : NO_NODE;
    const counted = fields?.some((s) => s.name === "totalCount");
    return (
      write &&
      json && {
        ...base,
        async answer(context, { programKey, ...args }) {
          const page = await context.services.participants.json.ofProgramKey(programKey as string, args, json);
          if (page.edges.some((e) => e.node.unusual)) return undefined;
          return write({ page, total: counted ? await page.totalCount() : undefined });
        },
      }
    );
  }
  if (selected.name === "_entities") {
    // Persons by id, as a router asks for them; representations of anything else are left to the resolvers.
    const fields = childrenOf(selected, "Person", fragments);
    const json = fields && personJson(schema, fields);
    return (
      json && {
        ...base,
        async answer(context, { representations }) {
          const ids = (representations as unknown[]).map(personId);
          if (ids.some((id) => id === undefined)) return undefined;
          const texts = await context.services.persons.json.byIds(ids as string[], json);
          return `[${texts.map((text) => text ?? "null").join(",")}]`;
        },
      }
    );
  }
  return undefined;
}

/** The id a representation names a person by, or undefined for any other representation. */
function personId(representation: unknown): string | undefined {
  const { __typename, id, ...rest } = (representation ?? {}) as { __typename?: unknown; id?: unknown };
  return __typename === "Person" && isUuid(id) && Object.keys(rest).length === 0 ? id : undefined;
}

/** A page that shows no participant's fields still reads its rows: for cursors and pageInfo. */
const NO_NODE: JsonNode = { json: sql`'null'`, unusual: sql`false`, joins: empty };

/** A writer of an object's JSON from a value (objectParts; `writerOf` gives each field's writer, or refuses it). */
function objectWriter<T>(type: GraphQLObjectType, selection: Selected[], writerOf: (selected: Selected) => Write<T> | undefined): Write<T> | undefined {
  const parts = objectParts<Write<T>>(type, selection, (_field, selected) => writerOf(selected));
  return (
    parts &&
    ((value) => {
      let out = "";
      for (const part of parts) out += typeof part === "string" ? part : part(value);
      return out;
    })
  );
}
