-- Attach dimension keys to the accepted values of this batch (`batch_values`).
-- A district row is chosen by code and by the validity that covers the period.
INSERT INTO fact_indicator_value_history (
    submission_id, agency_key, district_key, period_key, indicator_key, value, sheet, cell,
    valid_from, valid_to
)
SELECT
    v.submission_id,
    a.agency_key,
    d.district_key,
    p.period_key,
    i.indicator_key,
    v.value,
    v.sheet,
    v.cell,
    v.received_at,
    NULL
FROM batch_values AS v
JOIN dim_agency AS a ON a.agency_code = v.agency_code
JOIN dim_period AS p ON p.period_code = v.period_code
JOIN dim_indicator AS i ON i.indicator_code = v.indicator_code
JOIN dim_district AS d
    ON d.district_code = v.district_code
    AND d.valid_from <= p.start_date
    AND (d.valid_to IS NULL OR p.end_date <= d.valid_to);
