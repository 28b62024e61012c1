-- A duplicate was never read: it takes agency, period and origin from the first
-- submission with the same bytes.
UPDATE etl_submission AS d
SET agency_code = o.agency_code,
    period_code = o.period_code,
    duplicate_of = o.submission_id
FROM etl_submission AS o
WHERE d.status = 'duplicate'
  AND d.duplicate_of IS NULL
  AND o.file_sha256 = d.file_sha256
  AND o.submission_id = (
      SELECT min(submission_id) FROM etl_submission WHERE file_sha256 = d.file_sha256
  )
  AND o.submission_id < d.submission_id;
