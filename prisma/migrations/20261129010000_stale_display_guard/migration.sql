-- A writer that does not render displays (a server of an earlier version, still running during
-- an upgrade, or a statement by hand) must not leave a value beside a display it no longer
-- shows: changing a value without writing its display, or a field's type or options, forgets
-- the stored displays concerned, and reads format those values themselves until they are
-- rendered again. A writer that renders sets both in the same statement (or, for a field, right
-- after it in the same transaction), so these fire only for the others, or when the new display
-- happens to read as the old one (then that value is formatted by its reads: right, only slower).
CREATE FUNCTION forget_display() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  NEW.display := NULL;
  NEW.display_format := NULL;
  RETURN NEW;
END $$;

CREATE TRIGGER custom_field_value_display_kept BEFORE UPDATE ON custom_field_value FOR EACH ROW
  WHEN (NEW.value IS DISTINCT FROM OLD.value AND NEW.display IS NOT DISTINCT FROM OLD.display
        AND NEW.display_format IS NOT DISTINCT FROM OLD.display_format)
  EXECUTE FUNCTION forget_display();

CREATE FUNCTION forget_field_displays() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  UPDATE custom_field_value SET display = NULL, display_format = NULL
  WHERE field_id = NEW.id AND display_format IS NOT NULL;
  RETURN NULL;
END $$;

CREATE TRIGGER custom_field_definition_displays AFTER UPDATE ON custom_field_definition FOR EACH ROW
  WHEN (NEW.type IS DISTINCT FROM OLD.type OR NEW.options IS DISTINCT FROM OLD.options)
  EXECUTE FUNCTION forget_field_displays();
