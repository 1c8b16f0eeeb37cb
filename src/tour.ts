/**
 * The first query of the README's tour: GraphiQL opens with it, and a test keeps the README and
 * this text the same.
 */
export const TOUR = {
  query: `query Participants($programKey: String!) {
  participants(programKey: $programKey, first: 10, orderBy: { field: LAST_NAME, direction: ASC }) {
    totalCount
    edges {
      node {
        id
        serialNumber
        firstName
        lastName
        email
        tags
        customFields { key value displayValue }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  variables: { programKey: "summer-camp" },
};
