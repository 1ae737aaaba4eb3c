-- Everything the application role may do on the event store's tables at the latest
-- migration; re-applied after every migration (events/migrate.py), revoking first, so the
-- role holds exactly this. It reads and appends to the log and moves heads, stream versions
-- and projection checkpoints forward: it can neither rewrite nor remove a record (no UPDATE,
-- DELETE or TRUNCATE on events; the triggers refuse the rest for everybody), and owns
-- nothing, so it cannot disable a trigger either.

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ballot_app', current_schema());
END
$$;

REVOKE ALL ON events, log_heads, streams, projection_checkpoints FROM ballot_app;
GRANT SELECT, INSERT ON events TO ballot_app;
GRANT SELECT, INSERT, UPDATE ON log_heads, streams, projection_checkpoints TO ballot_app;
GRANT EXECUTE ON FUNCTION lock_log(text, text[]) TO ballot_app;
