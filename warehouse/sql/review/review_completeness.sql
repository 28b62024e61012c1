-- Who reported each expected period: received, accepted, on time.
-- Expected: every period of the agency's reporting type between the first and the
-- last period of that type that anyone submitted.
CREATE OR REPLACE TABLE review_completeness AS
WITH seen AS (
    SELECT p.period_type, min(p.start_date) AS first_start, max(p.end_date) AS last_end
    FROM etl_submission AS s
    JOIN dim_period AS p ON p.period_code = s.period_code
    WHERE s.status <> 'duplicate'
    GROUP BY ALL
),
expected AS (
    SELECT r.agency_code, p.period_code, p.end_date + r.deadline_days AS deadline
    FROM ref_reporting AS r
    JOIN seen USING (period_type)
    JOIN dim_period AS p
        ON p.period_type = r.period_type
        AND p.start_date >= seen.first_start
        AND p.end_date <= seen.last_end
),
received AS (
    SELECT
        agency_code,
        period_code,
        min(received_at) AS first_received_at,
        min(received_at) FILTER (WHERE status IN ('accepted', 'superseded'))
            AS first_accepted_at,
        bool_or(status = 'accepted') AS in_force
    FROM etl_submission
    WHERE status <> 'duplicate' AND agency_code IS NOT NULL AND period_code IS NOT NULL
    GROUP BY ALL
)
SELECT
    e.period_code,
    e.agency_code,
    r.agency_code IS NOT NULL AS received,
    coalesce(r.in_force, false) AS accepted,
    coalesce(CAST(r.first_accepted_at AS DATE) <= e.deadline, false) AS on_time,
    r.first_received_at AS received_at,
    e.deadline
FROM expected AS e
LEFT JOIN received AS r USING (agency_code, period_code)
ORDER BY e.period_code, e.agency_code;
