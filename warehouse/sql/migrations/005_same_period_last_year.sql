-- Version 5: the period that "so với cùng kỳ" compares with, decided once in Python
-- (reference.periods.same_period_last_year) and read by the review SQL and the narrative.
-- Rows already in dim_period are filled by warehouse.dimensions.ensure_periods.
ALTER TABLE dim_period ADD COLUMN IF NOT EXISTS same_period_last_year_code VARCHAR;
