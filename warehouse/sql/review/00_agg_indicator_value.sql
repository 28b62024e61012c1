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

-- Three passes, finest first, so that a half built from quarters can build a year.
CREATE OR REPLACE MACRO derive_cover(level) AS TABLE
    SELECT c.agency_key, pp.parent_code AS period_code
    FROM agg_cover AS c
    JOIN period_part AS pp ON pp.child_code = c.period_code AND pp.parent_type = level
    WHERE NOT EXISTS (
        SELECT 1 FROM agg_cover AS d
        WHERE d.agency_key = c.agency_key AND d.period_code = pp.parent_code
    )
    GROUP BY c.agency_key, pp.parent_code, pp.n_parts
    HAVING count(DISTINCT c.period_code) = pp.n_parts;

CREATE OR REPLACE TEMP TABLE new_cover AS SELECT * FROM derive_cover('quarter');
INSERT INTO agg_indicator_value
SELECT v.agency_key, v.district_key, pp.parent_code, v.indicator_key, sum(v.value), true
FROM agg_indicator_value AS v
JOIN period_part AS pp ON pp.child_code = v.period_code
JOIN new_cover AS n ON n.agency_key = v.agency_key AND n.period_code = pp.parent_code
GROUP BY ALL;
INSERT INTO agg_cover SELECT * FROM new_cover;

CREATE OR REPLACE TEMP TABLE new_cover AS SELECT * FROM derive_cover('half_year');
INSERT INTO agg_indicator_value
SELECT v.agency_key, v.district_key, pp.parent_code, v.indicator_key, sum(v.value), true
FROM agg_indicator_value AS v
JOIN period_part AS pp ON pp.child_code = v.period_code
JOIN new_cover AS n ON n.agency_key = v.agency_key AND n.period_code = pp.parent_code
GROUP BY ALL;
INSERT INTO agg_cover SELECT * FROM new_cover;

CREATE OR REPLACE TEMP TABLE new_cover AS SELECT * FROM derive_cover('year');
INSERT INTO agg_indicator_value
SELECT v.agency_key, v.district_key, pp.parent_code, v.indicator_key, sum(v.value), true
FROM agg_indicator_value AS v
JOIN period_part AS pp ON pp.child_code = v.period_code
JOIN new_cover AS n ON n.agency_key = v.agency_key AND n.period_code = pp.parent_code
GROUP BY ALL;
INSERT INTO agg_cover SELECT * FROM new_cover;

DROP MACRO TABLE derive_cover;
