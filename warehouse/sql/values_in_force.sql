-- Values in force of some agencies ($1, a list of codes), with their natural keys: the
-- history the outlier rule compares with.
SELECT a.agency_code, d.district_code, i.indicator_code, p.period_code,
       CAST(f.value AS DOUBLE) AS value
FROM fact_indicator_value AS f
JOIN dim_agency AS a USING (agency_key)
JOIN dim_district AS d USING (district_key)
JOIN dim_indicator AS i USING (indicator_key)
JOIN dim_period AS p USING (period_key)
WHERE list_contains($1, a.agency_code)
