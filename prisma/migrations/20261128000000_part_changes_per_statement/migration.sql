-- The parts of a person or participant (attributes, field values, identities, tiers, ledger
-- entries) record their changes once per statement instead of once per row: a statement that
-- writes ten custom values of a thousand participants (an import's batch) adds to a thousand
-- changes, not ten thousand times to one, and the owner's change is merged into once. What is
-- recorded is the same: one change per owner and transaction, a path per part changed.

-- Two lists of field changes as one (as before), in plpgsql: a plain SQL function of this shape is
-- planned again on every call, which cost more than the merge itself.
CREATE OR REPLACE FUNCTION merge_field_changes(earlier JSONB, later JSONB) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(f ORDER BY ord), '[]') FROM (
    SELECT coalesce(e.ord, 1000000 + l.ord) AS ord,
           jsonb_build_object('path', coalesce(e.f -> 'path', l.f -> 'path'),
                              'before', CASE WHEN e.f IS NULL THEN l.f -> 'before' ELSE e.f -> 'before' END,
                              'after', CASE WHEN l.f IS NULL THEN e.f -> 'after' ELSE l.f -> 'after' END) AS f
    FROM jsonb_array_elements(earlier) WITH ORDINALITY AS e (f, ord)
    FULL JOIN jsonb_array_elements(later) WITH ORDINALITY AS l (f, ord) ON e.f -> 'path' = l.f -> 'path'
  ) merged WHERE f -> 'before' IS DISTINCT FROM f -> 'after');
END $$;

-- The same, for the same reason.
CREATE OR REPLACE FUNCTION row_changes(old_row JSONB, new_row JSONB, ignored TEXT[]) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('path', jsonb_build_array(k), 'before', coalesce(old_row -> k, 'null'), 'after', coalesce(new_row -> k, 'null')) ORDER BY k), '[]')
    FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k
    WHERE NOT (k = ANY (ignored)) AND coalesce(old_row -> k, 'null') IS DISTINCT FROM coalesce(new_row -> k, 'null'));
END $$;

CREATE OR REPLACE FUNCTION object_changes(prefix JSONB, old_object JSONB, new_object JSONB) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('path', prefix || jsonb_build_array(k), 'before', coalesce(old_object -> k, 'null'), 'after', coalesce(new_object -> k, 'null')) ORDER BY k), '[]')
    FROM (SELECT jsonb_object_keys(coalesce(old_object, '{}')) UNION SELECT jsonb_object_keys(coalesce(new_object, '{}'))) AS keys (k)
    WHERE coalesce(old_object -> k, 'null') IS DISTINCT FROM coalesce(new_object -> k, 'null'));
END $$;

-- Records (or adds to) the changes of many entities of one type and operation in the current
-- transaction at once (JSON [{workspace, entity, program, fields, version}]), with two statements:
-- a statement's parts are recorded together, not with a call per owner. Only this transaction
-- writes changes with its id, so updating the entity's change, else making it, cannot race.
CREATE FUNCTION record_changes(p_type "EntityType", p_operation "ChangeOperation", p_changes JSONB) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  strength CONSTANT TEXT[] := ARRAY['UPDATED', 'LEDGER_POSTED', 'TIER_SET', 'STATUS_CHANGED', 'MERGED', 'CREATED', 'DELETED'];
  op "ChangeOperation" := CASE WHEN p_type = 'PERSON' AND p_operation IN ('UPDATED', 'DELETED', 'STATUS_CHANGED') AND current_setting('participant_graph.operation', true) = 'MERGED' THEN 'MERGED' ELSE p_operation END;
  x XID8 := pg_current_xact_id();
BEGIN
  PERFORM lock_change_writer(w) FROM (SELECT DISTINCT (e ->> 'workspace')::UUID AS w FROM jsonb_array_elements(p_changes) AS e) AS workspaces;
  UPDATE "change" c SET
    operation = CASE WHEN array_position(strength, op::TEXT) > array_position(strength, c.operation::TEXT) THEN op ELSE c.operation END,
    fields = merge_field_changes(c.fields, e.fields),
    version = coalesce(e.version, c.version),
    program_id = coalesce(c.program_id, e.program)
  FROM jsonb_to_recordset(p_changes) AS e(entity UUID, program UUID, fields JSONB, version INTEGER)
  WHERE c.xid = x AND c.entity_id = e.entity;
  INSERT INTO "change" (workspace_id, position, entity_type, entity_id, program_id, operation, fields, actor_key_id, source, request_id, version)
  SELECT e.workspace, change_position(), p_type, e.entity, e.program, op, e.fields,
         nullif(current_setting('participant_graph.actor', true), '')::UUID,
         coalesce(nullif(current_setting('participant_graph.source', true), ''), 'cli'),
         nullif(current_setting('participant_graph.request_id', true), ''),
         e.version
  FROM jsonb_to_recordset(p_changes) AS e(workspace UUID, entity UUID, program UUID, fields JSONB, version INTEGER)
  WHERE NOT EXISTS (SELECT 1 FROM "change" c WHERE c.xid = x AND c.entity_id = e.entity);
END $$;

-- One entity's change: as before, now through record_changes below.
CREATE OR REPLACE FUNCTION record_change(p_workspace UUID, p_type "EntityType", p_entity UUID, p_program UUID, p_operation "ChangeOperation", p_fields JSONB, p_version INTEGER)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
  -- Once, into a variable: pg_current_xact_id() is volatile, and a volatile call in a condition
  -- keeps PostgreSQL from using the (xid, entity_id) index.
  x XID8 := pg_current_xact_id();
BEGIN
  IF p_fields = '[]' AND p_operation NOT IN ('CREATED', 'DELETED', 'MERGED')
     AND NOT (p_type = 'PERSON' AND current_setting('participant_graph.operation', true) = 'MERGED') THEN
    -- The row only moved its version (written after the parts that changed): the change says so.
    PERFORM lock_change_writer(p_workspace);
    IF p_version IS NOT NULL THEN
      UPDATE "change" SET version = p_version WHERE xid = x AND entity_id = p_entity AND version IS DISTINCT FROM p_version;
    END IF;
    RETURN;
  END IF;
  PERFORM record_changes(p_type, p_operation, jsonb_build_array(jsonb_build_object('workspace', p_workspace, 'entity', p_entity, 'program', p_program, 'fields', p_fields, 'version', p_version)));
END $$;

DROP TRIGGER person_attribute_changes ON person_attribute;
DROP TRIGGER person_field_value_changes ON person_field_value;
DROP TRIGGER person_identity_changes ON person_identity;
DROP TRIGGER custom_field_value_changes ON custom_field_value;
DROP TRIGGER participant_tier_changes ON participant_tier;
DROP TRIGGER ledger_entry_changes ON ledger_entry;
DROP FUNCTION part_row_changed();

-- What tells two versions of a part row apart from another part: its key within its table.
CREATE FUNCTION part_key(tbl TEXT, r JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE tbl
    WHEN 'person_attribute' THEN jsonb_build_array(r -> 'person_id', r -> 'bucket_id', r -> 'key')
    WHEN 'person_field_value' THEN jsonb_build_array(r -> 'person_id', r -> 'field_id')
    WHEN 'custom_field_value' THEN jsonb_build_array(r -> 'participant_id', r -> 'field_id')
    WHEN 'person_identity' THEN jsonb_build_array(r -> 'person_id', r -> 'system')
    WHEN 'participant_tier' THEN jsonb_build_array(r -> 'participant_id', r -> 'tier_type')
    ELSE jsonb_build_array(r -> 'id')
  END
$$;

-- A part row's value as its history shows it ('null' for none).
CREATE FUNCTION part_value(tbl TEXT, r JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN r IS NULL THEN 'null'::JSONB
    WHEN tbl = 'person_identity' THEN r -> 'external_id'
    WHEN tbl = 'participant_tier' THEN jsonb_build_object('level', r -> 'level', 'rank', r -> 'rank')
    WHEN tbl = 'ledger_entry' THEN jsonb_build_object('kind', r -> 'kind', 'asset', r -> 'asset', 'bucket', r -> 'bucket', 'amount', to_jsonb(r ->> 'amount'),
                                                      'idempotencyKey', r -> 'idempotency_key', 'note', r -> 'note')
    ELSE coalesce(r -> 'value', 'null')
  END
$$;

-- One part row's change (before `o`, after `n`, either null): its owner, and the path, before and
-- after as the history shows them.
-- (A set-returning SQL function, so that PostgreSQL inlines it into the trigger's query.)
CREATE FUNCTION part_change(tbl TEXT, owner_column TEXT, o JSONB, n JSONB)
RETURNS TABLE (owner UUID, workspace UUID, path JSONB, before JSONB, after JSONB) LANGUAGE sql STABLE AS $$
  SELECT (r ->> owner_column)::UUID, (r ->> 'workspace_id')::UUID,
    CASE tbl
      WHEN 'person_attribute' THEN jsonb_build_array('attributes', (SELECT name FROM attribute_bucket WHERE id = (r ->> 'bucket_id')::UUID), r -> 'key')
      WHEN 'person_identity' THEN jsonb_build_array('identities', r -> 'system')
      WHEN 'participant_tier' THEN jsonb_build_array('tiers', r -> 'tier_type')
      WHEN 'ledger_entry' THEN jsonb_build_array('ledger', r -> 'id')
      ELSE jsonb_build_array('customFields', (SELECT key FROM custom_field_definition WHERE id = (r ->> 'field_id')::UUID))
    END,
    part_value(tbl, o), part_value(tbl, n)
  FROM (SELECT coalesce(n, o) AS r) AS row_
$$;

-- Statement triggers of the part tables. TG_ARGV: the owner's type, the owner column, the operation.
-- Rows of an UPDATE are paired by their key; a row whose key changed (moved to another owner)
-- is a removal from one owner and an addition to the other.
CREATE FUNCTION parts_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  changed JSONB;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(to_jsonb(p)) INTO changed FROM new_rows t, part_change(TG_TABLE_NAME, TG_ARGV[1], NULL, to_jsonb(t)) p;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(to_jsonb(p)) INTO changed FROM old_rows t, part_change(TG_TABLE_NAME, TG_ARGV[1], to_jsonb(t), NULL) p;
  ELSE
    SELECT jsonb_agg(to_jsonb(p)) INTO changed
    FROM (SELECT to_jsonb(t) AS r FROM old_rows t) o
    FULL JOIN (SELECT to_jsonb(t) AS r FROM new_rows t) n ON part_key(TG_TABLE_NAME, o.r) = part_key(TG_TABLE_NAME, n.r),
    part_change(TG_TABLE_NAME, TG_ARGV[1], o.r, n.r) p;
  END IF;
  -- Per owner, its paths in order, with its program and version as they stand now.
  PERFORM record_changes(TG_ARGV[0]::"EntityType", TG_ARGV[2]::"ChangeOperation", jsonb_agg(
    jsonb_build_object('workspace', c.workspace, 'entity', c.owner, 'program', pa.program_id, 'fields', c.fields, 'version', coalesce(pa.version, pe.version))))
  FROM (
    SELECT (x ->> 'owner')::UUID AS owner, (x ->> 'workspace')::UUID AS workspace,
           jsonb_agg(jsonb_build_object('path', x -> 'path', 'before', x -> 'before', 'after', x -> 'after') ORDER BY x -> 'path') AS fields
    FROM jsonb_array_elements(coalesce(changed, '[]')) AS x
    WHERE x -> 'before' IS DISTINCT FROM x -> 'after'
    GROUP BY 1, 2
  ) c
  LEFT JOIN participant pa ON TG_ARGV[0] = 'PARTICIPANT' AND pa.id = c.owner
  LEFT JOIN person pe ON TG_ARGV[0] = 'PERSON' AND pe.id = c.owner
  HAVING count(*) > 0;
  RETURN NULL;
END $$;

-- Per table: the owner's type and column, and the operation its changes are recorded as.
DO $$
DECLARE
  part RECORD;
BEGIN
  FOR part IN SELECT * FROM (VALUES
    ('person_attribute', 'PERSON', 'person_id', 'UPDATED'), ('person_field_value', 'PERSON', 'person_id', 'UPDATED'),
    ('person_identity', 'PERSON', 'person_id', 'UPDATED'), ('custom_field_value', 'PARTICIPANT', 'participant_id', 'UPDATED'),
    ('participant_tier', 'PARTICIPANT', 'participant_id', 'TIER_SET')) AS p (tbl, owner_type, owner_column, operation)
  LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION parts_changed(%L, %L, %L)',
      part.tbl || '_inserted', part.tbl, part.owner_type, part.owner_column, part.operation);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION parts_changed(%L, %L, %L)',
      part.tbl || '_updated', part.tbl, part.owner_type, part.owner_column, part.operation);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION parts_changed(%L, %L, %L)',
      part.tbl || '_deleted', part.tbl, part.owner_type, part.owner_column, part.operation);
  END LOOP;
END $$;

-- Entries only go when their participant does: their deletion is not told.
CREATE TRIGGER ledger_entry_inserted AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parts_changed('PARTICIPANT', 'participant_id', 'LEDGER_POSTED');
