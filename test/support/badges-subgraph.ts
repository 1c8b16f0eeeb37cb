import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";

/**
 * A second subgraph for the federation tests: it adds `Person.badges` to our Person and refers
 * back to our Participant, so queries cross the boundary both ways.
 */
export const BADGES_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Person @key(fields: "id") {
    id: ID!
    badges: [Badge!]!
  }

  type Participant @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Badge {
    name: String!
    awardedFor: Participant
  }

  type Query {
    badgeHolders: [Person!]!
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
      Query: { badgeHolders: () => [...badges.keys()].map((id) => ({ id })) },
      Person: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        badges: (person: { id: string }) => badges.get(person.id) ?? [],
      },
      Badge: {
        awardedFor: (badge: Badge) => (badge.participantId ? { __typename: "Participant", id: badge.participantId } : null),
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: "/graphql", logging: false });
}
