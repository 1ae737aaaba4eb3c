-- Projection checkpoints (written in the same transaction as the projection's rows), and the
-- least-privilege application role: SELECT/INSERT on the log, nothing more.

CREATE TABLE projection_checkpoints (
    projection  text   NOT NULL,
    log_id      text   NOT NULL,
    position    bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    PRIMARY KEY (projection, log_id)
);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ballot_app') THEN
        CREATE ROLE ballot_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object THEN NULL;  -- created concurrently by another migrating schema
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'no CREATEROLE privilege: create role ballot_app and grant it yourself';
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ballot_app') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO ballot_app', current_schema());
        EXECUTE format('GRANT SELECT, INSERT ON %I.events TO ballot_app', current_schema());
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.log_heads, %I.streams, %I.projection_checkpoints TO ballot_app',
                       current_schema(), current_schema(), current_schema());
    END IF;
END
$$;
