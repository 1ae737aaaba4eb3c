-- The checkpoint signing key is no longer kept here (ballot/checkpoint_key.py): whoever owns
-- the database could otherwise re-sign a rewritten log. Keys stored by earlier versions are
-- removed; the sessions they signed can no longer be signed by a server (it answers
-- signer_unavailable), which is what a restored database without its key file must do.
DELETE FROM session_secrets WHERE name = 'checkpoint-key';

COMMENT ON TABLE session_secrets IS
    'Each round''s lots seed between its commitment (opening) and its reveal (closing); never a signing key';
