-- Who reported each expected period: received, accepted, on time.
-- Expected: every period of the agency's reporting type between the first and the
-- last period of that type that anyone submitted, generated from the calendar, so a
-- period nobody reported still has a row per agency (received = false).
CREATE OR REPLACE TABLE review_completeness AS
WITH seen AS (
    SELECT p.period_type, min(p.start_date) AS first_start, max(p.end_date) AS last_end
    FROM etl_submission AS s
    JOIN dim_period AS p ON p.period_code = s.period_code
    WHERE s.status <> 'duplicate'
    GROUP BY ALL
),
step AS (
    SELECT * FROM (VALUES ('month', 1), ('quarter', 3), ('half_year', 6), ('year', 12))
        AS t (period_type, months)
),
calendar AS (
    SELECT
        seen.period_type,
        CAST(s.start AS DATE) AS start_date,
        CAST(s.start + to_months(step.months) - INTERVAL 1 DAY AS DATE) AS end_date
    FROM seen
    JOIN step USING (period_type),
        LATERAL unnest(
            generate_series(
                CAST(seen.first_start AS TIMESTAMP),
                CAST(seen.last_end AS TIMESTAMP),
                to_months(step.months)
            )
        ) AS s (start)
),
expected AS (
    SELECT
        r.agency_code,
        CASE c.period_type
            WHEN 'month' THEN strftime(c.start_date, '%Y%m')
            WHEN 'quarter' THEN strftime(c.start_date, '%Y') || 'Q' || quarter(c.start_date)
            WHEN 'half_year' THEN
                strftime(c.start_date, '%Y') || 'S'
                || CASE WHEN month(c.start_date) <= 6 THEN '1' ELSE '2' END
            ELSE strftime(c.start_date, '%Y')
        END AS period_code,
        c.end_date + r.deadline_days AS deadline
    FROM ref_reporting AS r
    JOIN calendar AS c USING (period_type)
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
