// The floor: node:http and pg, hand-written statements that build each answer's JSON in
// PostgreSQL and do each write in one transaction. No GraphQL, no auth, no validation.
// Every read answers in two ways: `/json/…` lets pg parse PostgreSQL's JSON and writes it out
// again with JSON.stringify (what a Node server usually does); `/text/…` sends PostgreSQL's
// JSON text as it is (what a server with no JSON round trip at all could reach).
import { createServer } from "node:http";
import { statsResponse } from "./stats.mjs";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const WORKSPACE = process.env.BENCH_WORKSPACE_ID;
const ACTOR = process.env.BENCH_ACTOR_ID;

const CUSTOM_FIELDS = (value) => `(SELECT coalesce(json_agg(json_build_object('key', d.key, ${value}) ORDER BY d.created_at, d.key), '[]')
   FROM custom_field_definition d LEFT JOIN custom_field_value v ON v.field_id = d.id AND v.participant_id = p.id
  WHERE d.program_id = p.program_id AND NOT d.archived)`;

const READS = {
  list: {
    sql: `SELECT coalesce(json_agg(json_build_object('node', row_to_json(x)) ORDER BY x."serialNumber"), '[]') AS doc FROM (
      SELECT p.id, p.serial_number AS "serialNumber", p.tags, p.attributes,
        json_build_object('id', pe.id, 'firstName', pe.first_name, 'lastName', pe.last_name, 'email', pe.email) AS person,
        ${CUSTOM_FIELDS("'value', v.value, 'displayValue', v.value #>> '{}'")} AS "customFields"
      FROM participant p JOIN person pe ON pe.id = p.person_id
      WHERE p.program_id = $1 ORDER BY p.serial_number LIMIT $2) x`,
    params: (url) => [url.searchParams.get("program"), Number(url.searchParams.get("first") ?? 50)],
    wrap: (doc) => `{"data":{"participants":{"edges":${doc}}}}`,
  },
  participant: {
    sql: `SELECT json_build_object('id', p.id, 'serialNumber', p.serial_number, 'firstName', pe.first_name, 'lastName', pe.last_name,
        'email', pe.email, 'customFields', ${CUSTOM_FIELDS("'value', v.value")}) AS doc
      FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.program_id = $1 AND p.external_id = $2`,
    params: (url) => [url.searchParams.get("program"), url.searchParams.get("ext")],
    wrap: (doc) => `{"data":{"participant":${doc ?? "null"}}}`,
  },
  entities: {
    sql: `SELECT coalesce(json_agg(json_build_object('id', pe.id, 'firstName', pe.first_name, 'lastName', pe.last_name, 'email', pe.email) ORDER BY r.n), '[]') AS doc
      FROM unnest($1::uuid[]) WITH ORDINALITY AS r(id, n) JOIN person pe ON pe.id = r.id AND pe.workspace_id = $2`,
    params: (url, body) => [body.ids, WORKSPACE],
    wrap: (doc) => `{"data":{"_entities":${doc}}}`,
  },
};

// The statement that names the writer, as participant-graph sends it: the history triggers read it.
const WRITER = `SELECT set_config('participant_graph.actor', $1, true), set_config('participant_graph.source', 'graphql', true),
  set_config('participant_graph.request_id', '', true), lock_change_writer($2::uuid)`;

const WRITES = {
  "update-participant": async (client, { id, n }) => {
    const { rows } = await client.query(
      `UPDATE participant SET tags = ARRAY['bench'], version = version + 1, updated_at = now() WHERE id = $1 AND workspace_id = $2 RETURNING id, version, program_id`,
      [id, WORKSPACE],
    );
    await client.query(
      `INSERT INTO custom_field_value (workspace_id, participant_id, field_id, value, updated_at)
       SELECT $1, $2, d.id, $3::jsonb, now() FROM custom_field_definition d WHERE d.program_id = $4 AND d.key = 'field1'
       ON CONFLICT (participant_id, field_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [WORKSPACE, id, JSON.stringify(n), rows[0].program_id],
    );
    return { updateParticipant: { id: rows[0].id, version: rows[0].version } };
  },
  "set-attributes": async (client, { id, a }) => {
    const { rows } = await client.query(`UPDATE person SET version = version + 1, updated_at = now() WHERE id = $1 AND workspace_id = $2 RETURNING id, version`, [id, WORKSPACE]);
    await client.query(
      `INSERT INTO person_attribute (workspace_id, person_id, bucket_id, key, value, updated_at)
       SELECT $1, $2, b.id, a.key, a.value, now() FROM attribute_bucket b, jsonb_each($3::jsonb) AS a WHERE b.workspace_id = $1 AND b.name = 'default'
       ON CONFLICT (person_id, bucket_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [WORKSPACE, id, JSON.stringify(a)],
    );
    return { setAttributes: rows[0] };
  },
  "ledger-entry": async (client, { input }) => {
    const { rows } = await client.query(
      `INSERT INTO ledger_entry (id, workspace_id, participant_id, kind, asset, amount, scale, idempotency_key, created_at)
       VALUES (gen_random_uuid(), $1, $2, 'COUNTER', 'visits', $3::numeric, 0, $4, now()) ON CONFLICT (workspace_id, idempotency_key) DO NOTHING RETURNING id`,
      [WORKSPACE, input.participantId, input.amount, input.idempotencyKey],
    );
    return { postLedgerEntry: rows[0] ?? null };
  },
};

async function write(name, variables) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(WRITER, [ACTOR, WORKSPACE]);
    const data = await WRITES[name](client, variables);
    await client.query("COMMIT");
    return JSON.stringify({ data });
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function read(name, asText, url, body) {
  const { sql, params, wrap } = READS[name];
  const { rows } = await pool.query({ text: asText ? `SELECT doc::text FROM (${sql}) q` : sql, values: params(url, body) });
  const doc = rows[0]?.doc;
  return wrap(asText ? doc : doc === undefined || doc === null ? undefined : JSON.stringify(doc));
}

const bodyOf = async (req) => {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
};

const server = createServer(async (req, res) => {
  if (statsResponse(req, res)) return;
  const url = new URL(req.url, "http://x");
  const [, kind, name] = url.pathname.split("/");
  try {
    const body = await bodyOf(req);
    let answer;
    if (kind === "write" && WRITES[name]) answer = await write(name, body.variables ?? body);
    else if ((kind === "json" || kind === "text") && READS[name]) answer = await read(name, kind === "text", url, body);
    else {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answer);
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
