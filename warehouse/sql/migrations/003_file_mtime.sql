-- Version 3: the received order is no longer the file's own time.
-- `file_mtime` keeps the file's modification time; `received_at` is its arrival in the
-- received order, never before what the warehouse had already received (issue 11).
-- A file that could not be opened is recorded without a fingerprint.
ALTER TABLE etl_submission ADD COLUMN IF NOT EXISTS file_mtime TIMESTAMP;
UPDATE etl_submission SET file_mtime = received_at WHERE file_mtime IS NULL;
ALTER TABLE etl_submission ALTER COLUMN file_sha256 DROP NOT NULL;
