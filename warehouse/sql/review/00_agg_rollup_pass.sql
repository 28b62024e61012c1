-- One roll-up pass: periods of type getvariable('level') that an agency did not report
-- directly but covers completely with the finer periods it has. Run finest first
-- (quarter, half_year, year), so that a half built from quarters can build a year.
CREATE OR REPLACE TEMP TABLE new_cover AS
SELECT c.agency_key, pp.parent_code AS period_code
FROM agg_cover AS c
JOIN period_part AS pp
    ON pp.child_code = c.period_code AND pp.parent_type = getvariable('level')
WHERE NOT EXISTS (
    SELECT 1 FROM agg_cover AS d
    WHERE d.agency_key = c.agency_key AND d.period_code = pp.parent_code
)
GROUP BY c.agency_key, pp.parent_code, pp.n_parts
HAVING count(DISTINCT c.period_code) = pp.n_parts;

INSERT INTO agg_indicator_value (
    agency_key, district_key, period_code, indicator_key, value, derived
)
SELECT v.agency_key, v.district_key, pp.parent_code, v.indicator_key, sum(v.value), true
FROM agg_indicator_value AS v
JOIN period_part AS pp ON pp.child_code = v.period_code
JOIN new_cover AS n ON n.agency_key = v.agency_key AND n.period_code = pp.parent_code
GROUP BY ALL;

INSERT INTO agg_cover BY NAME SELECT * FROM new_cover;
