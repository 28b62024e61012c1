-- Version 3: communes and wards of the merged Ninh Bình (from 2025-07-01) in dim_district,
-- with their place on the map of 2025-06-30, and the old-to-new crosswalk of units.
ALTER TABLE dim_district ADD COLUMN unit_level VARCHAR;
ALTER TABLE dim_district ADD COLUMN former_province_code VARCHAR;
-- null where the unit spans several former districts
ALTER TABLE dim_district ADD COLUMN former_district_code VARCHAR;
-- every former district the unit took territory from, ';'-separated
ALTER TABLE dim_district ADD COLUMN former_district_codes VARCHAR;
ALTER TABLE dim_district ADD COLUMN spans_former_districts BOOLEAN DEFAULT false;
-- the former district that gave most of its old communes: it carries the unit's values
ALTER TABLE dim_district ADD COLUMN rollup_former_district_code VARCHAR;
ALTER TABLE dim_district ADD COLUMN full_name VARCHAR;

UPDATE dim_district
SET unit_level = CASE WHEN district_type = 'cấp tỉnh' THEN 'province' ELSE 'district' END,
    spans_former_districts = false;

CREATE TABLE IF NOT EXISTS ref_unit_crosswalk (
    old_code VARCHAR NOT NULL,
    old_name VARCHAR NOT NULL,
    old_level VARCHAR NOT NULL,        -- commune or district (of 2025-06-30)
    old_parent_code VARCHAR NOT NULL,  -- a commune's district, a district's province
    new_code VARCHAR NOT NULL,
    new_name VARCHAR NOT NULL
);
