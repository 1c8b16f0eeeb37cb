// What the bench asks of each system: the same reads and writes, in each system's own dialect.
import { randomUUID } from "node:crypto";
import type { Fixture } from "./fixture.js";
import type { Load } from "./measure.js";
import { LEDGER_HEAVY } from "./seed.js";

const PAGE_SIZES = [1, 10, 50, 100];

export const SYSTEMS = {
  ours: "participant-graph",
  pglite: "participant-graph (PGlite)",
  postgraphile: "PostGraphile 5",
  floor: "raw pg floor",
  text: "raw text floor",
} as const;
export type SystemKey = keyof typeof SYSTEMS;

export interface Scenario {
  name: string;
  loads: Partial<Record<SystemKey, Load>>;
}

const gql = (query: string, variables: (i: number) => Record<string, unknown>) => (i: number) => JSON.stringify({ query, variables: variables(i) });

export function scenarios(f: Fixture, lite: Fixture): Scenario[] {
  /** The same request to participant-graph on each database, with that database's ids and key. */
  const ours = (make: (f: Fixture) => (i: number) => string) => ({
    ours: { path: "/graphql", headers: { authorization: `Bearer ${f.apiKey}` }, body: make(f) },
    pglite: { path: "/graphql", headers: { authorization: `Bearer ${lite.apiKey}` }, body: make(lite) },
  });
  const at = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  const list = (first: number): Scenario => ({
    name: `nested list (first: ${first})`,
    loads: {
      ...ours((x) =>
        gql(
          `query($key: String!, $first: Int!) { participants(programKey: $key, first: $first) { edges { node { id serialNumber tags attributes person { id firstName lastName email } customFields { key value displayValue } } } } }`,
          () => ({ key: x.programKey, first }),
        ),
      ),
      postgraphile: {
        path: "/graphql",
        body: gql(
          `query($programId: UUID!, $first: Int!) { allParticipants(condition: { programId: $programId }, first: $first, orderBy: SERIAL_NUMBER_ASC) { nodes { rowId serialNumber tags attributes personByPersonId { rowId firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
          () => ({ programId: f.programId, first }),
        ),
      },
      floor: { path: `/json/list?program=${f.programId}&first=${first}`, method: "GET" },
      text: { path: `/text/list?program=${f.programId}&first=${first}`, method: "GET" },
    },
  });
  const write = (name: string, query: string, variables: (x: Fixture, i: number) => Record<string, unknown>, floor: string): Scenario => ({
    name,
    loads: {
      ...ours((x) => gql(query, (i) => variables(x, i))),
      floor: { path: `/write/${floor}`, body: gql(query, (i) => variables(f, i)) },
    },
  });
  return [
    ...PAGE_SIZES.map(list),
    {
      name: "participant by externalId",
      loads: {
        ...ours((x) =>
          gql(
            `query($key: String!, $ext: String!) { participant(programKey: $key, externalId: $ext) { id serialNumber firstName lastName email customFields { key value } } }`,
            (i) => ({ key: x.programKey, ext: at(x.externalIds, i) }),
          ),
        ),
        postgraphile: {
          path: "/graphql",
          body: gql(
            `query($programId: UUID!, $ext: String!) { allParticipants(condition: { programId: $programId, externalId: $ext }) { nodes { rowId serialNumber personByPersonId { firstName lastName email } customFieldValuesByParticipantId { nodes { value customFieldDefinitionByFieldId { key } } } } } }`,
            (i) => ({ programId: f.programId, ext: at(f.externalIds, i) }),
          ),
        },
        floor: { path: `/json/participant?program=${f.programId}&ext=${f.externalIds[0]}`, method: "GET" },
      },
    },
    {
      name: "_entities (50 Person representations)",
      loads: {
        ...ours((x) =>
          gql(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { id firstName lastName email } } }`, (i) => ({
            reps: Array.from({ length: 50 }, (_, j) => ({ __typename: "Person", id: at(x.personIds, i + j) })),
          })),
        ),
        floor: { path: "/json/entities", body: (i) => JSON.stringify({ ids: Array.from({ length: 50 }, (_, j) => at(f.personIds, i + j)) }) },
      },
    },
    write(
      "updateParticipant",
      `mutation($id: ID!, $n: JSON!) { updateParticipant(id: $id, input: { tags: ["bench"], customFields: [{ key: "field1", value: $n }] }) { id version } }`,
      (x, i) => ({ id: at(x.participantIds, i), n: i }),
      "update-participant",
    ),
    write(
      "setAttributes",
      `mutation($id: ID!, $a: JSONObject!) { setAttributes(personId: $id, attributes: $a) { id version } }`,
      (x, i) => ({ id: at(x.personIds, i), a: { score: i, plan: i % 2 ? "pro" : "free" } }),
      "set-attributes",
    ),
    write(
      "postLedgerEntry",
      `mutation($input: LedgerEntryInput!) { postLedgerEntry(input: $input) { id } }`,
      (x, i) => ({ input: { participantId: at(x.participantIds, i), kind: "COUNTER", asset: "visits", amount: "1", idempotencyKey: randomUUID() } }),
      "ledger-entry",
    ),
    {
      name: `ledger figures (${LEDGER_HEAVY.entries.toLocaleString("en")} entries)`,
      loads: {
        ours: {
          path: "/graphql",
          headers: { authorization: `Bearer ${f.apiKey}` },
          body: gql(
            `query($id: ID!) { participant(id: $id) { balances { asset bucket amount } counters { name value } financials { currency totalBooked totalPaid totalBalance } ledger(first: 10) { edges { node { kind amount createdAt } } } } }`,
            () => ({ id: f.ledgerHeavyId }),
          ),
        },
      },
    },
  ];
}
