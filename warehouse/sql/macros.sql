-- Analyst-facing views and table macros, recreated on every refresh.

-- Values in force, with codes instead of keys.
CREATE OR REPLACE VIEW indicator_values AS
SELECT a.agency_code, d.district_code, d.district_name, p.period_code, p.period_type,
       i.indicator_code, f.value, f.submission_id
FROM fact_indicator_value AS f
JOIN dim_agency AS a USING (agency_key)
JOIN dim_district AS d USING (district_key)
JOIN dim_period AS p USING (period_key)
JOIN dim_indicator AS i USING (indicator_key);

-- The facts as they stood at a moment: a version is in force from the arrival of its
-- submission until the arrival of the one that replaced it.
CREATE OR REPLACE MACRO fact_indicator_value_as_of(as_of) AS TABLE
SELECT agency_key, district_key, period_key, indicator_key, value, submission_id, sheet, cell
FROM fact_indicator_value_history
WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of);

CREATE OR REPLACE MACRO fact_task_as_of(as_of) AS TABLE
SELECT agency_key, period_key, task_no, task_name, task_kind, status, lead_agency_code,
       deadline, note, submission_id
FROM fact_task_history
WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of);

CREATE OR REPLACE MACRO indicator_values_as_of(as_of) AS TABLE
SELECT a.agency_code, d.district_code, d.district_name, p.period_code, p.period_type,
       i.indicator_code, f.value, f.submission_id
FROM fact_indicator_value_as_of(as_of) AS f
JOIN dim_agency AS a USING (agency_key)
JOIN dim_district AS d USING (district_key)
JOIN dim_period AS p USING (period_key)
JOIN dim_indicator AS i USING (indicator_key);
