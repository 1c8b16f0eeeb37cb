import pg from "pg";
import cliProgress from "cli-progress";

/** The dataset the scenarios run on: built with set-based SQL, so seeding takes seconds. */
export const DATASET = { persons: 20_000, programs: 3, fieldsPerProgram: 20, participants: [20_000, 15_000, 15_000] };

const FIELD_TYPES = ["TEXT", "NUMBER", "SELECT", "DATE", "BOOLEAN"] as const;

/** What seeding needs of a connection: pg's Client, or the embedded database's own query. */
export interface SeedClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export async function seed(client: SeedClient, workspaceId: string): Promise<void> {
  const steps: [string, string, unknown[]][] = [
    [
      "persons",
      `INSERT INTO person (id, workspace_id, external_id, email, first_name, last_name, display_name, tags, status, created_at, updated_at, version)
       SELECT gen_random_uuid(), $1, 'person-' || i, 'user' || i || '@example.com', 'First' || i, 'Last' || (i % 997), NULL,
              ARRAY['tag' || (i % 10), 'group' || (i % 7)], 'ACTIVE', now() - make_interval(secs => i), now(), 1
       FROM generate_series(1, $2::int) AS i`,
      [workspaceId, DATASET.persons],
    ],
    [
      "person attributes",
      `INSERT INTO person_attribute (workspace_id, person_id, bucket_id, key, value, updated_at)
       SELECT $1, p.id, b.id, k.key, to_jsonb(length(p.email) + k.n), now()
       FROM person p CROSS JOIN (VALUES ('score', 1), ('visits', 2)) AS k(key, n)
       JOIN attribute_bucket b ON b.workspace_id = $1 AND b.name = 'default'
       WHERE p.workspace_id = $1`,
      [workspaceId],
    ],
    [
      "programs",
      `INSERT INTO program (id, workspace_id, key, name, last_serial, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'program-' || i, 'Program ' || i, 0, now() + make_interval(secs => i), now()
       FROM generate_series(1, $2::int) AS i`,
      [workspaceId, DATASET.programs],
    ],
    [
      "custom fields",
      `INSERT INTO custom_field_definition (id, workspace_id, program_id, key, label, type, required, options, archived, created_at, updated_at)
       SELECT gen_random_uuid(), $1, pr.id, 'field' || f, 'Field ' || f, ($3::text[])[1 + f % 5]::"CustomFieldType", false,
              CASE WHEN f % 5 = 2 THEN '[{"value":"a","label":"Alpha"},{"value":"b","label":"Beta"}]'::jsonb END,
              false, now() + make_interval(secs => f), now()
       FROM program pr CROSS JOIN generate_series(1, $2::int) AS f WHERE pr.workspace_id = $1`,
      [workspaceId, DATASET.fieldsPerProgram, FIELD_TYPES],
    ],
    [
      "participants",
      `INSERT INTO participant (id, workspace_id, program_id, person_id, serial_number, external_id, status, tags, attributes, created_at, updated_at, version)
       SELECT gen_random_uuid(), $1, pr.id, pe.id, pe.n, pr.key || '-' || pe.n, 'ACTIVE',
              ARRAY['cohort' || (pe.n % 5)], jsonb_build_object('source', 'import', 'n', pe.n), now(), now(), 1
       FROM (SELECT id, key, row_number() OVER (ORDER BY key) AS i FROM program WHERE workspace_id = $1) pr
       JOIN LATERAL (
         SELECT id, row_number() OVER (ORDER BY external_id) AS n FROM person WHERE workspace_id = $1
         ORDER BY external_id LIMIT ($2::int[])[pr.i]
       ) pe ON true`,
      [workspaceId, DATASET.participants],
    ],
    [
      "serial counters",
      `UPDATE program pr SET last_serial = (SELECT max(serial_number) FROM participant WHERE program_id = pr.id) WHERE workspace_id = $1`,
      [workspaceId],
    ],
    [
      "custom values",
      `INSERT INTO custom_field_value (workspace_id, participant_id, field_id, value, updated_at)
       SELECT $1, p.id, d.id,
              CASE d.type WHEN 'TEXT' THEN to_jsonb('text ' || p.serial_number) WHEN 'NUMBER' THEN to_jsonb(p.serial_number)
                          WHEN 'SELECT' THEN to_jsonb(CASE WHEN p.serial_number % 2 = 0 THEN 'a' ELSE 'b' END)
                          WHEN 'DATE' THEN to_jsonb('2026-07-01'::text) ELSE to_jsonb(p.serial_number % 2 = 0) END,
              now()
       FROM participant p JOIN custom_field_definition d ON d.program_id = p.program_id WHERE p.workspace_id = $1`,
      [workspaceId],
    ],
    ["statistics", `ANALYZE`, []],
  ];
  const bar = new cliProgress.SingleBar({ format: "  seeding [{bar}] {value}/{total} {step}", hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(steps.length, 0, { step: "" });
  for (const [name, sql, params] of steps) {
    bar.update({ step: name });
    await client.query(sql, params);
    bar.increment();
  }
  bar.update({ step: "done" });
  bar.stop();
}

export const LEDGER_HEAVY = { externalId: "program-2-1", entries: 100_000 };

/**
 * One participant with a long ledger: 100,000 entries over balances, a counter and financials,
 * with running totals as the service keeps them. Reading its figures must not get slower.
 */
export async function seedLedgerHistory(client: pg.Client, workspaceId: string): Promise<string> {
  const { rows } = await client.query(`SELECT id FROM participant WHERE workspace_id = $1 AND external_id = $2`, [workspaceId, LEDGER_HEAVY.externalId]);
  const participantId = rows[0].id as string;
  const { rows: count } = await client.query(`SELECT count(*)::int AS n FROM ledger_entry WHERE participant_id = $1`, [participantId]);
  if (count[0].n >= LEDGER_HEAVY.entries) return participantId;
  process.stdout.write(`  seeding ${LEDGER_HEAVY.entries} ledger entries for one participant\n`);
  await client.query(
    `INSERT INTO ledger_entry (id, workspace_id, participant_id, kind, asset, bucket, amount, idempotency_key, created_at)
     SELECT gen_random_uuid(), $1, $2, k.kind::"LedgerKind", k.asset, k.bucket::"BalanceBucket", k.amount, 'history-' || i, now() - make_interval(secs => $3::int - i)
     FROM generate_series(1, $3::int) AS i
     JOIN (VALUES (0, 'BALANCE', 'points', 'AVAILABLE', 1.5), (1, 'COUNTER', 'visits', NULL, 1), (2, 'BOOKING', 'EUR', NULL, 2.25), (3, 'PAYMENT', 'EUR', NULL, 1.75))
       AS k(n, kind, asset, bucket, amount) ON k.n = i % 4`,
    [workspaceId, participantId, LEDGER_HEAVY.entries],
  );
  await client.query(
    `INSERT INTO ledger_total (workspace_id, participant_id, kind, asset, bucket, amount, updated_at)
     SELECT workspace_id, participant_id, kind, asset, coalesce(bucket::text, ''), sum(amount), now()
     FROM ledger_entry WHERE participant_id = $1 GROUP BY workspace_id, participant_id, kind, asset, bucket
     ON CONFLICT (participant_id, kind, asset, bucket) DO UPDATE SET amount = EXCLUDED.amount`,
    [participantId],
  );
  await client.query(`ANALYZE ledger_entry`);
  return participantId;
}
