-- One round trip to start an append: lock the log's head row, then read the versions of the
-- streams involved. In READ COMMITTED every statement of a VOLATILE PL/pgSQL function takes a
-- fresh snapshot, so the versions read after the lock include everything committed by the
-- transaction we may have waited for (a single SQL statement would read a stale snapshot).

CREATE FUNCTION lock_log(
    p_log_id     text,
    p_streams    text[],
    OUT o_position  bigint,
    OUT o_head_hash bytea,
    OUT o_streams   text[],
    OUT o_versions  bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    SELECT h.position, h.head_hash INTO o_position, o_head_hash
      FROM log_heads AS h WHERE h.log_id = p_log_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO log_heads (log_id) VALUES (p_log_id) ON CONFLICT DO NOTHING;
        SELECT h.position, h.head_hash INTO o_position, o_head_hash
          FROM log_heads AS h WHERE h.log_id = p_log_id FOR UPDATE;
    END IF;
    SELECT coalesce(array_agg(s.stream_id), '{}'), coalesce(array_agg(s.version), '{}')
      INTO o_streams, o_versions
      FROM streams AS s WHERE s.log_id = p_log_id AND s.stream_id = ANY (p_streams);
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ballot_app') THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I.lock_log(text, text[]) TO ballot_app', current_schema());
    END IF;
END
$$;
