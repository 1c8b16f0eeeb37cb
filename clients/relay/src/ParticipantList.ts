// Relay fragments over the client schema: a paginated, refetchable list (forward and backward,
// for usePaginationFragment's loadNext and loadPrevious) and a refetchable node.
import { graphql } from "relay-runtime";

export const participantList = graphql`
  fragment ParticipantList_program on Program
  @refetchable(queryName: "ParticipantListPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int", defaultValue: 10 }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    participants(first: $first, after: $after, last: $last, before: $before)
      @connection(key: "ParticipantList_participants") {
      edges {
        node {
          id
          firstName
          lastName
          updatedAt
          customFields { key value displayValue }
        }
      }
    }
  }
`;

export const participantCard = graphql`
  fragment ParticipantList_participant on Participant @refetchable(queryName: "ParticipantCardRefetchQuery") {
    id
    email
    financials { currency totalBalance }
  }
`;

export const programQuery = graphql`
  query ParticipantListQuery($key: String!) {
    program(key: $key) {
      ...ParticipantList_program
    }
  }
`;
