-- Values in force for every period an agency covers, directly or through finer periods.
-- Rule: a direct report of a period wins for that period; otherwise the period is the
-- sum of its parts when the agency covers all of them (month -> quarter -> half -> year).
-- Coverage is decided per agency and period, so nothing is counted twice.
CREATE OR REPLACE TABLE agg_indicator_value AS
SELECT f.agency_key, f.district_key, p.period_code, f.indicator_key, f.value, false AS derived
FROM fact_indicator_value AS f
JOIN dim_period AS p USING (period_key);

CREATE OR REPLACE TEMP TABLE period_part AS
WITH part_kind(parent_type, child_type, n_parts) AS (
    VALUES ('quarter', 'month', 3), ('half_year', 'quarter', 2), ('year', 'half_year', 2)
)
SELECT parent.period_code AS parent_code, parent.period_type AS parent_type,
       child.period_code AS child_code, k.n_parts
FROM part_kind AS k
JOIN dim_period AS parent ON parent.period_type = k.parent_type
JOIN dim_period AS child
    ON child.period_type = k.child_type
    AND child.start_date >= parent.start_date
    AND child.end_date <= parent.end_date;

CREATE OR REPLACE TEMP TABLE agg_cover AS
SELECT DISTINCT f.agency_key, p.period_code
FROM fact_indicator_value AS f JOIN dim_period AS p USING (period_key)
UNION
SELECT DISTINCT t.agency_key, p.period_code
FROM fact_task AS t JOIN dim_period AS p USING (period_key);
