-- Version 3: the received order is no longer the file's own time.
-- `file_mtime` keeps the file's modification time; `received_at` is its arrival in the
-- received order, never before what the warehouse had already received (issue 11).
-- A file that could not be opened is recorded without a fingerprint.
ALTER TABLE etl_submission ADD COLUMN IF NOT EXISTS file_mtime TIMESTAMP;
UPDATE etl_submission SET file_mtime = received_at WHERE file_mtime IS NULL;
ALTER TABLE etl_submission ALTER COLUMN file_sha256 DROP NOT NULL;

-- Repair a warehouse where a file with an old mtime arrived after newer ones: its
-- arrival becomes just after the latest one before it (in submission order, which is
-- the received order), and the validity intervals follow, so none is inverted.
CREATE OR REPLACE TEMP TABLE repaired_arrival AS
WITH previous AS (
    SELECT submission_id, received_at, max(received_at) OVER (
        ORDER BY submission_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS latest_before
    FROM etl_submission
)
SELECT submission_id,
       CASE WHEN received_at < latest_before THEN latest_before + INTERVAL 1 MICROSECOND
            ELSE received_at END AS received_at
FROM previous;

UPDATE etl_submission AS s
SET received_at = r.received_at,
    in_force_from = CASE WHEN s.in_force_from IS NOT NULL THEN r.received_at END
FROM repaired_arrival AS r
WHERE s.submission_id = r.submission_id AND s.received_at <> r.received_at;

UPDATE etl_submission AS s
SET in_force_to = newer.received_at
FROM etl_submission AS newer
WHERE newer.submission_id = s.superseded_by AND s.in_force_to <> newer.received_at;

UPDATE fact_indicator_value_history AS h
SET valid_from = s.received_at, valid_to = s.in_force_to
FROM etl_submission AS s
WHERE s.submission_id = h.submission_id
  AND (h.valid_from <> s.received_at OR h.valid_to IS DISTINCT FROM s.in_force_to);

UPDATE fact_task_history AS h
SET valid_from = s.received_at, valid_to = s.in_force_to
FROM etl_submission AS s
WHERE s.submission_id = h.submission_id
  AND (h.valid_from <> s.received_at OR h.valid_to IS DISTINCT FROM s.in_force_to);

DROP TABLE repaired_arrival;
