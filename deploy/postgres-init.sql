-- Least privilege for the server: it connects as ballot_app, which the schema migrations
-- grant SELECT/INSERT on the log (and nothing that could rewrite it). The migrations
-- themselves run as the owner (see docker-compose.yml: the "migrate" service).
CREATE ROLE ballot_app LOGIN PASSWORD 'ballot_app';
