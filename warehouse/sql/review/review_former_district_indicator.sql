-- The old province's territory on one footing before and after 2025-07-01: values per
-- period, former district and indicator on the district map of 2025-06-30 (the seven
-- districts of that day, 374 as thành phố Hoa Lư). Earlier districts roll up onto that
-- map through ref_district_crosswalk (369 and the old 374 -> 374); communes and wards
-- are summed to their former district. A unit formed from several former districts is
-- summed to the one that gave most of its old communes (rollup_former_district_code),
-- and that former district's rows from communes are not `comparable` (whatever was
-- reported: the territory differs). `old_communes_elsewhere` counts the old communes of
-- the former district that now lie in a unit summed to another one.
CREATE OR REPLACE TABLE review_former_district_indicator AS
WITH RECURSIVE reform AS (
    SELECT min(valid_from) AS merged_from FROM dim_district WHERE unit_level = 'commune'
),
province AS (
    SELECT any_value(district_code) AS province_code
    FROM dim_district WHERE unit_level = 'province'
),
former AS (  -- the districts of the eve of the merger
    SELECT d.district_code, d.district_name, d.valid_to
    FROM dim_district AS d CROSS JOIN reform AS r
    WHERE d.unit_level = 'district' AND d.valid_from < r.merged_from
      AND coalesce(d.valid_to, DATE '9999-12-31') >= r.merged_from - 1
),
walk(district_key, code, valid_to) AS (  -- each district unit through its successors
    SELECT district_key, district_code, valid_to FROM dim_district WHERE unit_level = 'district'
    UNION ALL
    SELECT w.district_key, nxt.district_code, nxt.valid_to
    FROM walk AS w
    JOIN ref_district_crosswalk AS cw ON cw.from_code = w.code AND cw.from_valid_to = w.valid_to
    JOIN dim_district AS nxt
        ON nxt.district_code = cw.to_code AND nxt.valid_from = cw.to_valid_from
),
spanned AS (  -- former districts that carry a unit formed from several
    SELECT DISTINCT rollup_former_district_code AS former_district_code
    FROM dim_district WHERE unit_level = 'commune' AND spans_former_districts
),
unit_map AS (
    SELECT w.district_key, f.district_code AS former_district_code, false AS is_commune
    FROM walk AS w
    JOIN former AS f ON f.district_code = w.code AND f.valid_to IS NOT DISTINCT FROM w.valid_to
    UNION ALL
    SELECT d.district_key, d.rollup_former_district_code, true
    FROM dim_district AS d CROSS JOIN province AS p
    WHERE d.unit_level = 'commune' AND d.former_province_code = p.province_code
),
elsewhere AS (
    SELECT x.old_parent_code AS former_district_code, count(*) AS old_communes_elsewhere
    FROM ref_unit_crosswalk AS x
    JOIN dim_district AS d ON d.district_code = x.new_code AND d.unit_level = 'commune'
    WHERE x.old_level = 'commune' AND d.rollup_former_district_code <> x.old_parent_code
    GROUP BY ALL
)
SELECT
    v.period_code,
    f.district_code AS former_district_code,
    f.district_name AS former_district_name,
    i.indicator_code,
    sum(v.value) AS value,
    -- on communes, a former district carrying a spanning unit covers another territory
    NOT (bool_or(m.is_commune) AND bool_or(sp.former_district_code IS NOT NULL)) AS comparable,
    CAST(CASE WHEN bool_or(m.is_commune) THEN coalesce(max(e.old_communes_elsewhere), 0)
         ELSE 0 END AS INTEGER) AS old_communes_elsewhere
FROM agg_indicator_value AS v
JOIN unit_map AS m USING (district_key)
JOIN former AS f ON f.district_code = m.former_district_code
JOIN dim_indicator AS i USING (indicator_key)
LEFT JOIN elsewhere AS e ON e.former_district_code = f.district_code
LEFT JOIN spanned AS sp ON sp.former_district_code = f.district_code
GROUP BY v.period_code, f.district_code, f.district_name, i.indicator_code, i.sort_order
ORDER BY v.period_code, i.sort_order, f.district_code;
