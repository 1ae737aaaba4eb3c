-- Least privilege for the server: it connects as ballot_app, to which `ballot migrate` grants
-- SELECT/INSERT on the log (and nothing that could rewrite it): each component's grants.sql,
-- re-applied at every migration. The migrations themselves run as the owner (see
-- docker-compose.yml: the "migrate" service).
CREATE ROLE ballot_app LOGIN PASSWORD 'ballot_app';
