-- Operational state of the HTTP layer. None of it is election truth (the log is): these rows
-- only authenticate callers and keep secrets the log must not show until they are revealed.

-- Bearer tokens of enrolled delegations and tellers, stored as SHA-256 digests. A token is
-- valid only while its public key is still the subject's enrolled key in the log, so
-- re-issued credentials revoke it without touching this table.
CREATE TABLE api_tokens (
    token_hash  bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    session_id  text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('delegation', 'teller')),
    subject     text        NOT NULL,
    public_key  bytea       NOT NULL CHECK (octet_length(public_key) = 32),
    issued_at   timestamptz NOT NULL DEFAULT now()
);

-- Per-session secrets held by the server: the checkpoint signing key, and each round's lots
-- seed between its commitment (at opening) and its reveal (at closing).
CREATE TABLE session_secrets (
    session_id  text  NOT NULL,
    name        text  NOT NULL,
    value       bytea NOT NULL,
    PRIMARY KEY (session_id, name)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ballot_app') THEN
        EXECUTE format('GRANT SELECT, INSERT ON %I.api_tokens, %I.session_secrets TO ballot_app',
                       current_schema(), current_schema());
    END IF;
END
$$;
