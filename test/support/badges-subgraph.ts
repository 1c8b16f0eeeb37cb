import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";

/**
 * A second subgraph for the federation tests, Relay-style like ours (its own `Node`, `PageInfo`
 * and `node`): it adds `Person.badges` to our Person and refers back to our Participant, so
 * queries cross the boundary both ways.
 */
export const BADGES_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  interface Node {
    id: ID!
  }

  type Person implements Node @key(fields: "id") {
    id: ID!
    badges(first: Int, after: String): BadgeConnection!
  }

  type Participant @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Badge {
    name: String!
    awardedFor: Participant
  }

  type BadgeEdge {
    cursor: String!
    node: Badge!
  }

  type BadgeConnection {
    edges: [BadgeEdge!]!
    pageInfo: PageInfo!
  }

  """Relay's PageInfo, as every Relay-style subgraph defines it."""
  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type Query {
    badgeHolders: [Person!]!
    node(id: ID!): Node @shareable
  }
`;

export interface Badge {
  name: string;
  participantId?: string;
}

export function createBadgesSubgraph(badges: Map<string, Badge[]>) {
  const schema = buildSubgraphSchema({
    typeDefs: parse(BADGES_SDL),
    resolvers: {
      Query: { badgeHolders: () => [...badges.keys()].map((id) => ({ id })), node: () => null },
      Node: { __resolveType: () => "Person" },
      Person: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        badges: (person: { id: string }) => {
          const list = badges.get(person.id) ?? [];
          return {
            edges: list.map((node, i) => ({ cursor: String(i), node })),
            pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: list.length ? "0" : null, endCursor: list.length ? String(list.length - 1) : null },
          };
        },
      },
      Badge: {
        awardedFor: (badge: Badge) => (badge.participantId ? { __typename: "Participant", id: badge.participantId } : null),
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: "/graphql", logging: false });
}
