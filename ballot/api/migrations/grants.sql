-- Everything the application role may do on the HTTP layer's tables at the latest migration
-- (re-applied after every migration, revoking first; see events/migrate.py): it issues and
-- reads bearer-token digests and session secrets, and never changes or removes one (a token
-- is revoked by re-issued credentials in the log, not here).

REVOKE ALL ON api_tokens, session_secrets FROM ballot_app;
GRANT SELECT, INSERT ON api_tokens, session_secrets TO ballot_app;
