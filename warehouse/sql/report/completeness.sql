-- Who reported the period: received, accepted, on time, with the agency's names.
SELECT
    c.agency_code,
    a.agency_name,
    a.short_name,
    c.received,
    c.accepted,
    c.on_time,
    c.received_at,
    c.deadline
FROM review_completeness AS c
JOIN dim_agency AS a USING (agency_code)
WHERE c.period_code = $period_code
ORDER BY a.agency_key;
