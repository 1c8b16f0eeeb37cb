-- A participant's custom value keeps its displayValue, rendered when the value or its field's
-- definition is written, so that a page of participants sends it instead of formatting every
-- value again (a third of PostgreSQL's time on a page of fifty with twenty fields).
-- `display_format` names the rendering that wrote it (stores/display-sql.ts: a fingerprint of
-- its SQL, which holds the date formats of the server's Intl): a reader whose rendering differs,
-- after an upgrade or while two versions run side by side, ignores the stored text and formats
-- the value itself. NULL: never rendered (rows from before this migration).
ALTER TABLE custom_field_value ADD COLUMN display TEXT, ADD COLUMN display_format INTEGER;

-- The rendering whose pass over every stored value last finished: a server whose rendering is
-- another renders them again once, in the background (services/stored-display.ts).
CREATE TABLE display_rendering (
  only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
  format INTEGER NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
