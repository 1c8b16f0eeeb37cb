import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.js";
import { createRateLimiter } from "../src/auth/rate-limit.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createWorkspace } from "../src/services/workspace.js";
import { databaseKind, request } from "./support/harness.js";
import { canStartCluster, startReplicaCluster, type ClusterServer } from "./support/replica-cluster.js";

// A primary and a streaming replica of the test's own. Run with the PostgreSQL suite only: the
// embedded database has no replicas.
describe.runIf(databaseKind === "postgres" && canStartCluster)("read replicas (DATABASE_REPLICA_URLS)", () => {
  let cluster: Awaited<ReturnType<typeof startReplicaCluster>>;
  let db: Database;
  let app: App;
  let key: string;
  let replicaClient: pg.Client;
  let participantId: string;
  const programKey = "replicated";

  async function ok(query: string, variables: Record<string, unknown> = {}) {
    const response = await request(app, query, variables, { authorization: `Bearer ${key}` });
    expect(response.errors).toBeUndefined();
    return response.data!;
  }

  /** Statements (other than the API key's look-up) each server ran during `fn`. */
  async function ranOn<T>(fn: () => Promise<T>): Promise<{ result: T; primary: string[]; replica: string[] }> {
    const own = (server: ClusterServer) => server.statementsSince().filter((line) => !/\bapi_key\b/.test(line));
    own(cluster.primary);
    own(cluster.replica);
    const result = await fn();
    return { result, primary: own(cluster.primary), replica: own(cluster.replica) };
  }

  const firstNameOnReplica = async () =>
    (await replicaClient.query<{ first_name: string }>("SELECT pe.first_name FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id = $1", [participantId])).rows[0]?.first_name;

  async function replicaReplays(until: () => Promise<boolean>) {
    for (let i = 0; i < 200; i++) {
      if (await until()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the replica did not replay the primary's writes");
  }

  const READ = `query($key: String!) {
    participants(programKey: $key, first: 10) { edges { node { id firstName customFields { key value } person { id lastName } } } }
    programs { edges { node { key name } } }
  }`;
  const BY_ID = `query($id: ID!) { participant(id: $id) { firstName } }`;

  beforeAll(async () => {
    cluster = await startReplicaCluster();
    db = await openDatabase({ kind: "postgres", url: cluster.primary.url, poolSize: 4, replicaUrls: [cluster.replica.url] });
    await migrate(db.driver);
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    app = createApp({ db, config: { graphiql: false, apiKeyCacheSeconds: 0 }, logger, rateLimiter: createRateLimiter({ perMinute: 1_000_000, logger }) });
    key = (await createWorkspace(db.prisma, "replicated")).secret;
    const { createProgram } = await ok(`mutation($key: String!) { createProgram(input: { key: $key, name: "Replicated" }) { id } }`, { key: programKey });
    await ok(`mutation($id: ID!) { defineCustomField(programId: $id, input: { key: "tier", label: "Tier", type: TEXT }) { id } }`, { id: createProgram.id });
    const { enrollParticipant } = await ok(
      `mutation($key: String!) { enrollParticipant(input: { programKey: $key, person: { firstName: "Ada", lastName: "Lovelace" }, customFields: [{ key: "tier", value: "gold" }] }) { id } }`,
      { key: programKey },
    );
    participantId = enrollParticipant.id;
    replicaClient = new pg.Client({ connectionString: cluster.replica.url });
    await replicaClient.connect();
    await replicaReplays(async () => (await firstNameOnReplica()) === "Ada");
  }, 120_000);

  afterAll(async () => {
    await replicaClient?.end().catch(() => {});
    await db?.close();
    cluster?.stop();
  });

  it("serves queries from the replica: the raw page reads and Prisma's reads alike", async () => {
    // Once to let the replica be found caught up with this workspace's setup writes.
    await ok(READ, { key: programKey });
    const { result, primary, replica } = await ranOn(() => ok(READ, { key: programKey }));
    expect(result.participants.edges[0].node).toMatchObject({ firstName: "Ada", customFields: [{ key: "tier", value: "gold" }], person: { lastName: "Lovelace" } });
    expect(result.programs.edges.map((edge: any) => edge.node.key)).toEqual([programKey]);
    expect(primary).toEqual([]);
    expect(replica.some((line) => /FROM participant\b/i.test(line))).toBe(true);
    // programs is read through Prisma, whose statements name the schema.
    expect(replica.some((line) => line.includes(`"public"."program"`))).toBe(true);
  });

  it("sends mutations, and every read inside them, to the primary", async () => {
    const { result, primary, replica } = await ranOn(() =>
      ok(`mutation($id: ID!) { updateParticipant(id: $id, input: { tags: ["vip"] }) { tags version } }`, { id: participantId }),
    );
    expect(result.updateParticipant.tags).toEqual(["vip"]);
    expect(primary.some((line) => /UPDATE/i.test(line))).toBe(true);
    expect(replica).toEqual([]);
  });

  it("reads a workspace's own write in the next request: from the primary while the replica lags, from the replica once it has replayed it", async () => {
    await replicaClient.query("SELECT pg_wal_replay_pause()");
    try {
      await ok(`mutation($id: ID!) { updateParticipant(id: $id, input: { firstName: "Grace" }) { id } }`, { id: participantId });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await firstNameOnReplica()).toBe("Ada");
      const lagging = await ranOn(() => ok(BY_ID, { id: participantId }));
      expect(lagging.result.participant.firstName).toBe("Grace");
      expect(lagging.primary.some((line) => /participant/i.test(line))).toBe(true);
      expect(lagging.replica.some((line) => /FROM\s+"?(public"?\.)?"?participant\b/i.test(line))).toBe(false);
    } finally {
      await replicaClient.query("SELECT pg_wal_replay_resume()");
    }
    await replicaReplays(async () => (await firstNameOnReplica()) === "Grace");
    const caughtUp = await ranOn(() => ok(BY_ID, { id: participantId }));
    expect(caughtUp.result.participant.firstName).toBe("Grace");
    expect(caughtUp.primary).toEqual([]);
    expect(caughtUp.replica.some((line) => /participant/i.test(line))).toBe(true);
  });

  // Last: it stops the replica.
  it("passes over a replica that stops answering: its reads go to the primary", async () => {
    replicaClient.on("error", () => {});
    cluster.stopReplica();
    let served: Awaited<ReturnType<typeof request>> | undefined;
    let primary: string[] = [];
    for (let i = 0; i < 60 && !served; i++) {
      const attempt = await ranOn(() => request(app, BY_ID, { id: participantId }, { authorization: `Bearer ${key}` }));
      if (!attempt.result.errors) ({ result: served, primary } = attempt);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(served?.data?.participant.firstName).toBe("Grace");
    expect(primary.some((line) => /participant/i.test(line))).toBe(true);
  });

  it("refuses replicas without a primary in the configuration", async () => {
    const { loadConfig } = await import("../src/config.js");
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: cluster.replica.url })).toThrow(/DATABASE_REPLICA_URLS/);
    expect(loadConfig({ DATABASE_URL: cluster.primary.url, DATABASE_REPLICA_URLS: ` ${cluster.replica.url} , ` }).database).toMatchObject({ replicaUrls: [cluster.replica.url] });
  });
});
