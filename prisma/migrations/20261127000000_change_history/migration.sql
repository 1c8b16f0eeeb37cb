-- Change history (SPEC §10): every write records one change per entity it changed, in its own
-- transaction, from triggers on the tables themselves, so that no path that writes (graph,
-- dialects, import, command line) can forget. The writer says who and through what with
-- transaction-local settings (db/transaction.ts); a transaction that sets nothing is the
-- command line's.

CREATE TYPE "EntityType" AS ENUM ('PERSON', 'PARTICIPANT', 'PROGRAM', 'CUSTOM_FIELD', 'ATTRIBUTE_BUCKET', 'API_KEY', 'WEBHOOK_ENDPOINT');
CREATE TYPE "ChangeOperation" AS ENUM ('CREATED', 'UPDATED', 'DELETED', 'STATUS_CHANGED', 'MERGED', 'LEDGER_POSTED', 'TIER_SET');
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

-- No foreign keys to the workspace, the entity or the actor: history outlives what it describes.
CREATE TABLE "change" (
    "id"           UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    -- The feed's order: the writing transaction's id times 10^9 plus the change's ordinal in it.
    -- Readers only read below the workspace's horizon (change_horizon, below), so a transaction
    -- committing late can never slip in behind a cursor.
    "position"     NUMERIC(30, 0) NOT NULL,
    "xid"          XID8 NOT NULL DEFAULT pg_current_xact_id(),
    "entity_type"  "EntityType" NOT NULL,
    "entity_id"    UUID NOT NULL,
    "program_id"   UUID,
    "operation"    "ChangeOperation" NOT NULL,
    "fields"       JSONB NOT NULL DEFAULT '[]',
    "actor_key_id" UUID,
    "source"       VARCHAR(64) NOT NULL,
    "request_id"   VARCHAR(128),
    "version"      INTEGER,
    "at"           TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "change_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "change_workspace_position" ON "change" ("workspace_id", "position");
CREATE UNIQUE INDEX "change_once_per_transaction" ON "change" ("xid", "entity_id");
CREATE INDEX "change_entity" ON "change" ("workspace_id", "entity_id", "position" DESC);

CREATE TABLE "webhook_endpoint" (
    "id"           UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "url"          VARCHAR(2048) NOT NULL,
    "description"  TEXT,
    "entity_types" "EntityType"[],
    "operations"   "ChangeOperation"[],
    "enabled"      BOOLEAN NOT NULL DEFAULT true,
    "secret"       VARCHAR(128) NOT NULL,
    -- The creating key's buckets (null: all): a delivery shows no more than its creator could read.
    "buckets"      TEXT[],
    "created_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_endpoint_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_endpoint_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "webhook_endpoint_workspace_id_idx" ON "webhook_endpoint" ("workspace_id");

-- The outbox: written at commit with the change it delivers, worked by the delivery worker.
CREATE TABLE "webhook_delivery" (
    "id"              UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id"    UUID NOT NULL,
    "endpoint_id"     UUID NOT NULL,
    "change_id"       UUID NOT NULL,
    "entity_id"       UUID NOT NULL,
    "position"        NUMERIC(30, 0) NOT NULL,
    "status"          "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts"        INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error"      TEXT,
    "next_attempt_at" TIMESTAMPTZ(3),
    "delivered_at"    TIMESTAMPTZ(3),
    "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_delivery_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "webhook_delivery_change_id_fkey" FOREIGN KEY ("change_id") REFERENCES "change"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "webhook_delivery_pending" ON "webhook_delivery" ("endpoint_id", "entity_id", "position") WHERE "status" = 'PENDING';
CREATE INDEX "webhook_delivery_due" ON "webhook_delivery" ("next_attempt_at") WHERE "status" = 'PENDING';
CREATE INDEX "webhook_delivery_endpoint_id_created_at_id_idx" ON "webhook_delivery" ("endpoint_id", "created_at" DESC, "id" DESC);
CREATE INDEX "webhook_delivery_change_id_idx" ON "webhook_delivery" ("change_id");

-- The transaction's next feed position: its id, then a counter kept in a transaction-local setting.
CREATE FUNCTION change_position() RETURNS NUMERIC LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER := coalesce(nullif(current_setting('participant_graph.ordinal', true), ''), '0')::INTEGER + 1;
BEGIN
  PERFORM set_config('participant_graph.ordinal', n::TEXT, true);
  RETURN pg_current_xact_id()::TEXT::NUMERIC * 1000000000 + n;
END $$;

-- Writers of a workspace's changes hold this lock (shared, until they end), from the start of
-- their transaction (db/transaction.ts) or at the latest with their first change: readers of the
-- feed find in it which running transactions may still add changes to that workspace.
CREATE FUNCTION lock_change_writer(p_workspace UUID) RETURNS VOID LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock_shared(72707370, hashtext(p_workspace::TEXT))
$$;

-- The feed's horizon for one workspace: positions below it are settled. Of the transactions the
-- reader's snapshot sees as running, those that still hold the workspace's writer lock, and those
-- that have ended since (they may have written the workspace's changes), hold the horizon at
-- their id: one that began earlier and commits later can never land behind a cursor handed out.
-- Transactions of other workspaces or databases, still running, do not hold it. The snapshot is
-- taken first, then the locks are looked at (pg_locks: readable by every role).
CREATE FUNCTION change_horizon(p_workspace UUID) RETURNS NUMERIC LANGUAGE plpgsql STABLE AS $$
DECLARE
  s pg_snapshot := pg_current_snapshot();
  oldest NUMERIC;
BEGIN
  SELECT min(x::TEXT::NUMERIC) INTO oldest FROM pg_snapshot_xip(s) AS x
  WHERE pg_xact_status(x) <> 'in progress'
     OR x::TEXT::BIGINT % 4294967296 IN (
       SELECT t.transactionid::TEXT::BIGINT
       FROM pg_locks l JOIN pg_locks t ON t.virtualtransaction = l.virtualtransaction AND t.locktype = 'transactionid'
       WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = 72707370 AND l.objid = hashtext(p_workspace::TEXT)::OID AND l.objsubid = 2);
  RETURN least(oldest, pg_snapshot_xmax(s)::TEXT::NUMERIC, pg_current_xact_id_if_assigned()::TEXT::NUMERIC) * 1000000000;
END $$;

-- The fields of two rows (as jsonb) that differ, as [{path: [column], before, after}].
CREATE FUNCTION row_changes(old_row JSONB, new_row JSONB, ignored TEXT[]) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('path', jsonb_build_array(k), 'before', coalesce(old_row -> k, 'null'), 'after', coalesce(new_row -> k, 'null')) ORDER BY k), '[]')
  FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k
  WHERE NOT (k = ANY (ignored)) AND coalesce(old_row -> k, 'null') IS DISTINCT FROM coalesce(new_row -> k, 'null')
$$;

-- The keys of two JSON objects that differ, each under `prefix`.
CREATE FUNCTION object_changes(prefix JSONB, old_object JSONB, new_object JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('path', prefix || jsonb_build_array(k), 'before', coalesce(old_object -> k, 'null'), 'after', coalesce(new_object -> k, 'null')) ORDER BY k), '[]')
  FROM (SELECT jsonb_object_keys(coalesce(old_object, '{}')) UNION SELECT jsonb_object_keys(coalesce(new_object, '{}'))) AS keys (k)
  WHERE coalesce(old_object -> k, 'null') IS DISTINCT FROM coalesce(new_object -> k, 'null')
$$;

-- Two lists of field changes of one entity in one transaction as one: the first before, the last after.
CREATE FUNCTION merge_field_changes(earlier JSONB, later JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(f ORDER BY ord), '[]') FROM (
    SELECT coalesce(e.ord, 1000000 + l.ord) AS ord,
           jsonb_build_object('path', coalesce(e.f -> 'path', l.f -> 'path'),
                              'before', CASE WHEN e.f IS NULL THEN l.f -> 'before' ELSE e.f -> 'before' END,
                              'after', CASE WHEN l.f IS NULL THEN e.f -> 'after' ELSE l.f -> 'after' END) AS f
    FROM jsonb_array_elements(earlier) WITH ORDINALITY AS e (f, ord)
    FULL JOIN jsonb_array_elements(later) WITH ORDINALITY AS l (f, ord) ON e.f -> 'path' = l.f -> 'path'
  ) merged WHERE f -> 'before' IS DISTINCT FROM f -> 'after'
$$;

-- Records (or adds to) the change of one entity in the current transaction. Which operation wins
-- when one transaction does several: the later in this list.
CREATE FUNCTION record_change(p_workspace UUID, p_type "EntityType", p_entity UUID, p_program UUID, p_operation "ChangeOperation", p_fields JSONB, p_version INTEGER)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  strength CONSTANT TEXT[] := ARRAY['UPDATED', 'LEDGER_POSTED', 'TIER_SET', 'STATUS_CHANGED', 'MERGED', 'CREATED', 'DELETED'];
  operation "ChangeOperation" := p_operation;
BEGIN
  PERFORM lock_change_writer(p_workspace);
  IF p_type = 'PERSON' AND p_operation IN ('UPDATED', 'DELETED', 'STATUS_CHANGED') AND current_setting('participant_graph.operation', true) = 'MERGED' THEN
    operation := 'MERGED';
  END IF;
  IF p_fields = '[]' AND operation NOT IN ('CREATED', 'DELETED', 'MERGED') THEN
    -- The row only moved its version (written after the parts that changed): the change says so.
    IF p_version IS NOT NULL THEN
      UPDATE "change" SET version = p_version WHERE xid = pg_current_xact_id() AND entity_id = p_entity AND version IS DISTINCT FROM p_version;
    END IF;
    RETURN;
  END IF;
  INSERT INTO "change" (workspace_id, position, entity_type, entity_id, program_id, operation, fields, actor_key_id, source, request_id, version)
  VALUES (p_workspace, change_position(), p_type, p_entity, p_program, operation, p_fields,
          nullif(current_setting('participant_graph.actor', true), '')::UUID,
          coalesce(nullif(current_setting('participant_graph.source', true), ''), 'cli'),
          nullif(current_setting('participant_graph.request_id', true), ''),
          p_version)
  ON CONFLICT (xid, entity_id) DO UPDATE SET
    operation = CASE WHEN array_position(strength, EXCLUDED.operation::TEXT) > array_position(strength, "change".operation::TEXT) THEN EXCLUDED.operation ELSE "change".operation END,
    fields = merge_field_changes("change".fields, EXCLUDED.fields),
    version = coalesce(EXCLUDED.version, "change".version),
    program_id = coalesce("change".program_id, EXCLUDED.program_id);
END $$;

-- Rows that are entities of their own. TG_ARGV: entity type, columns that are bookkeeping, the
-- column naming the entity's program ('' for none; 'id' for a program itself).
CREATE FUNCTION entity_row_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  o JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  n JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  r JSONB := coalesce(n, o);
  ignored TEXT[] := string_to_array(TG_ARGV[1], ',');
  fields JSONB;
BEGIN
  -- A participant's attributes are one JSON object; its changes are told key by key.
  IF r ? 'attributes' AND TG_TABLE_NAME = 'participant' THEN
    fields := row_changes(o, n, ignored || 'attributes'::TEXT) || object_changes('["attributes"]', o -> 'attributes', n -> 'attributes');
  ELSE
    fields := row_changes(o, n, ignored);
  END IF;
  PERFORM record_change((r ->> 'workspace_id')::UUID, TG_ARGV[0]::"EntityType", (r ->> 'id')::UUID,
    CASE WHEN TG_ARGV[2] <> '' THEN (r ->> TG_ARGV[2])::UUID END,
    (CASE TG_OP WHEN 'INSERT' THEN 'CREATED' WHEN 'DELETE' THEN 'DELETED'
       ELSE CASE WHEN o -> 'status' IS DISTINCT FROM n -> 'status' THEN 'STATUS_CHANGED' ELSE 'UPDATED' END END)::"ChangeOperation",
    fields, (n ->> 'version')::INTEGER);
  RETURN NULL;
END $$;

CREATE TRIGGER person_changes AFTER INSERT OR UPDATE OR DELETE ON person FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('PERSON', 'id,workspace_id,created_at,updated_at,version,status_changed_at', '');
CREATE TRIGGER participant_changes AFTER INSERT OR UPDATE OR DELETE ON participant FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('PARTICIPANT', 'id,workspace_id,created_at,updated_at,version,status_changed_at', 'program_id');
CREATE TRIGGER program_changes AFTER INSERT OR UPDATE OR DELETE ON program FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('PROGRAM', 'id,workspace_id,created_at,updated_at,last_serial', 'id');
CREATE TRIGGER custom_field_changes AFTER INSERT OR UPDATE OR DELETE ON custom_field_definition FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('CUSTOM_FIELD', 'id,workspace_id,created_at,updated_at', 'program_id');
CREATE TRIGGER attribute_bucket_changes AFTER INSERT OR UPDATE OR DELETE ON attribute_bucket FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('ATTRIBUTE_BUCKET', 'id,workspace_id,created_at', '');
CREATE TRIGGER api_key_changes AFTER INSERT OR UPDATE OR DELETE ON api_key FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('API_KEY', 'id,workspace_id,created_at,last_used_at,secret_hash', '');
CREATE TRIGGER webhook_endpoint_changes AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoint FOR EACH ROW
  EXECUTE FUNCTION entity_row_changed('WEBHOOK_ENDPOINT', 'id,workspace_id,created_at,updated_at,secret', '');

-- Rows that are part of a person or a participant. TG_ARGV: the owner's type, the owner column,
-- the operation, then how the path and value are made (below, by table).
CREATE FUNCTION part_row_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  o JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  n JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  r JSONB := coalesce(n, o);
  path JSONB;
  before JSONB := 'null';
  after JSONB := 'null';
  program UUID;
  owner_version INTEGER;
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'person_attribute' THEN
      path := jsonb_build_array('attributes', (SELECT name FROM attribute_bucket WHERE id = (r ->> 'bucket_id')::UUID), r -> 'key');
      before := coalesce(o -> 'value', 'null'); after := coalesce(n -> 'value', 'null');
    WHEN 'person_field_value', 'custom_field_value' THEN
      path := jsonb_build_array('customFields', (SELECT key FROM custom_field_definition WHERE id = (r ->> 'field_id')::UUID));
      before := coalesce(o -> 'value', 'null'); after := coalesce(n -> 'value', 'null');
    WHEN 'person_identity' THEN
      path := jsonb_build_array('identities', r -> 'system');
      before := coalesce(o -> 'external_id', 'null'); after := coalesce(n -> 'external_id', 'null');
    WHEN 'participant_tier' THEN
      path := jsonb_build_array('tiers', r -> 'tier_type');
      IF o IS NOT NULL THEN before := jsonb_build_object('level', o -> 'level', 'rank', o -> 'rank'); END IF;
      IF n IS NOT NULL THEN after := jsonb_build_object('level', n -> 'level', 'rank', n -> 'rank'); END IF;
    WHEN 'ledger_entry' THEN
      IF TG_OP <> 'INSERT' THEN RETURN NULL; END IF;  -- entries only go when their participant does
      path := jsonb_build_array('ledger', r -> 'id');
      after := jsonb_build_object('kind', n -> 'kind', 'asset', n -> 'asset', 'bucket', n -> 'bucket', 'amount', (NEW).amount::TEXT, 'idempotencyKey', n -> 'idempotency_key', 'note', n -> 'note');
  END CASE;
  IF before IS DISTINCT FROM after THEN
    -- The owner's program and version as they stand now, in one look-up.
    IF TG_ARGV[0] = 'PARTICIPANT' THEN
      SELECT program_id, version INTO program, owner_version FROM participant WHERE id = (r ->> TG_ARGV[1])::UUID;
    ELSE
      SELECT version INTO owner_version FROM person WHERE id = (r ->> TG_ARGV[1])::UUID;
    END IF;
    PERFORM record_change((r ->> 'workspace_id')::UUID, TG_ARGV[0]::"EntityType", (r ->> TG_ARGV[1])::UUID, program,
      TG_ARGV[2]::"ChangeOperation", jsonb_build_array(jsonb_build_object('path', path, 'before', before, 'after', after)), owner_version);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER person_attribute_changes AFTER INSERT OR UPDATE OR DELETE ON person_attribute FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PERSON', 'person_id', 'UPDATED');
CREATE TRIGGER person_field_value_changes AFTER INSERT OR UPDATE OR DELETE ON person_field_value FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PERSON', 'person_id', 'UPDATED');
CREATE TRIGGER person_identity_changes AFTER INSERT OR UPDATE OR DELETE ON person_identity FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PERSON', 'person_id', 'UPDATED');
CREATE TRIGGER custom_field_value_changes AFTER INSERT OR UPDATE OR DELETE ON custom_field_value FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PARTICIPANT', 'participant_id', 'UPDATED');
CREATE TRIGGER participant_tier_changes AFTER INSERT OR UPDATE OR DELETE ON participant_tier FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PARTICIPANT', 'participant_id', 'TIER_SET');
CREATE TRIGGER ledger_entry_changes AFTER INSERT ON ledger_entry FOR EACH ROW
  EXECUTE FUNCTION part_row_changed('PARTICIPANT', 'participant_id', 'LEDGER_POSTED');

-- On PostgreSQL the job engine (graphile-worker, whose schema the server installs) wakes a worker
-- on any instance; without it (the embedded database) the server works the outbox table itself
-- (webhooks/worker.ts). One job per delivery, keyed by it: never two queued for one delivery.
CREATE FUNCTION enqueue_webhook_delivery(delivery UUID, run_at TIMESTAMPTZ) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  IF to_regnamespace('graphile_worker') IS NOT NULL THEN
    PERFORM graphile_worker.add_job('deliver_webhook', json_build_object('deliveryId', delivery), run_at := run_at, job_key := delivery::TEXT);
  END IF;
END $$;

-- At commit, once per change: drop a change that came to nothing, and queue a delivery for every endpoint that wants it (the outbox), in the same
-- transaction as the change.
CREATE FUNCTION change_committing() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  c "change";
  delivery UUID;
BEGIN
  SELECT * INTO c FROM "change" WHERE id = NEW.id;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF c.fields = '[]' AND c.operation NOT IN ('CREATED', 'DELETED', 'MERGED') THEN
    DELETE FROM "change" WHERE id = c.id;
    RETURN NULL;
  END IF;
  FOR delivery IN
    INSERT INTO webhook_delivery (workspace_id, endpoint_id, change_id, entity_id, position, next_attempt_at)
    SELECT c.workspace_id, e.id, c.id, c.entity_id, c.position, now()
    FROM webhook_endpoint e
    WHERE e.workspace_id = c.workspace_id AND e.enabled
      AND (e.entity_types IS NULL OR c.entity_type = ANY (e.entity_types))
      AND (e.operations IS NULL OR c.operation = ANY (e.operations))
    RETURNING id
  LOOP
    PERFORM enqueue_webhook_delivery(delivery, now());
  END LOOP;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER change_committing AFTER INSERT ON "change" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION change_committing();
