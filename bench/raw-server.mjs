// The floor: node:http and pg, one hand-written statement that builds the whole JSON answer of
// the nested participant list in PostgreSQL. No GraphQL, no auth, no validation.
import { createServer } from "node:http";
import { statsResponse } from "./stats.mjs";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const LIST = `
  SELECT coalesce(json_agg(row_to_json(x) ORDER BY x."serialNumber"), '[]') AS nodes FROM (
    SELECT p.id, p.serial_number AS "serialNumber", p.tags, p.attributes,
      json_build_object('id', pe.id, 'firstName', pe.first_name, 'lastName', pe.last_name, 'email', pe.email) AS person,
      (SELECT coalesce(json_agg(json_build_object('key', d.key, 'value', v.value, 'displayValue', v.value #>> '{}') ORDER BY d.created_at, d.key), '[]')
         FROM custom_field_definition d LEFT JOIN custom_field_value v ON v.field_id = d.id AND v.participant_id = p.id
        WHERE d.program_id = p.program_id AND NOT d.archived) AS "customFields"
    FROM participant p JOIN person pe ON pe.id = p.person_id
    WHERE p.program_id = $1 ORDER BY p.serial_number LIMIT $2) x`;

const server = createServer(async (req, res) => {
  if (statsResponse(req, res)) return;
  const url = new URL(req.url, "http://x");
  try {
    const { rows } = await pool.query(LIST, [url.searchParams.get("program"), Number(url.searchParams.get("first") ?? 50)]);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`{"data":{"participants":{"edges":${JSON.stringify(rows[0].nodes)}}}}`);
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
