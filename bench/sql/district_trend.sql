-- One district's half-year trend for every indicator (Gia Viễn).
SELECT r.period_code, r.indicator_code, r.value, r.rank_in_province
FROM review_district_indicator AS r
JOIN dim_period AS p USING (period_code)
WHERE r.district_code = '373' AND p.period_type = 'half_year'
ORDER BY r.indicator_code, r.period_code
