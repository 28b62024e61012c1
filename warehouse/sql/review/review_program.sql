-- Cumulative values of a coordination programme's agencies from the phase start to
-- the end of each half year in the phase (halves only, so nothing is counted twice).
CREATE OR REPLACE TABLE review_program AS
WITH program_half AS (
    SELECT rp.phase_code, v.period_code, h.end_date, v.indicator_key, sum(v.value) AS value
    FROM ref_program AS rp
    JOIN dim_period AS phase ON phase.period_code = rp.phase_code
    JOIN agg_indicator_value AS v ON true
    JOIN dim_period AS h
        ON h.period_code = v.period_code
        AND h.period_type = 'half_year'
        AND h.start_date >= phase.start_date
        AND h.end_date <= phase.end_date
    JOIN dim_agency AS a ON a.agency_key = v.agency_key
    WHERE list_contains(rp.agency_codes, a.agency_code)
    GROUP BY ALL
),
as_of AS (
    SELECT DISTINCT phase_code, period_code AS as_of_period_code, end_date AS as_of_end
    FROM program_half
)
SELECT
    o.phase_code,
    o.as_of_period_code,
    i.indicator_code,
    sum(h.value) AS cumulative_value
FROM as_of AS o
JOIN program_half AS h ON h.phase_code = o.phase_code AND h.end_date <= o.as_of_end
JOIN dim_indicator AS i USING (indicator_key)
GROUP BY ALL
ORDER BY o.phase_code, o.as_of_period_code, i.indicator_code;
