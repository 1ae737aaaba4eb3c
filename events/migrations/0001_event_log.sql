-- The event log: one append-only, hash-chained log per session, made of streams.
-- Positions are assigned under the log_heads row lock, so they are gap-free and in commit order.

CREATE TABLE log_heads (
    log_id      text PRIMARY KEY,
    position    bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    head_hash   bytea  NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
                CHECK (octet_length(head_hash) = 32)
);

-- No foreign keys to log_heads: every append already holds that row's lock, and a per-row
-- FK check doubled the cost of a group-committed insert.
CREATE TABLE streams (
    log_id      text   NOT NULL,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (log_id, stream_id)
);

CREATE TABLE events (
    log_id          text        NOT NULL,
    position        bigint      NOT NULL CHECK (position > 0),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    -- json (not jsonb) keeps the exact canonical text that the hash covers.
    payload         json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    prev_hash       bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (log_id, position),
    UNIQUE (log_id, stream_id, stream_version)
);

-- The log is append-only for everybody, owner included: statement-level triggers fire even
-- when no row matches, so the refusal does not depend on the data.
CREATE FUNCTION refuse_log_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'raise_exception', HINT = 'append a new event instead';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_rewrite();

-- Heads and stream versions move forward (UPDATE) but are never removed.
CREATE TRIGGER log_heads_never_removed
    BEFORE DELETE OR TRUNCATE ON log_heads
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_rewrite();

CREATE TRIGGER streams_never_removed
    BEFORE DELETE OR TRUNCATE ON streams
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_log_rewrite();
