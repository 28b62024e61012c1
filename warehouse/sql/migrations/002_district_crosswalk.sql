-- Version 2: successors of district units that ended, for comparisons across mergers.
CREATE TABLE IF NOT EXISTS ref_district_crosswalk (
    from_code VARCHAR NOT NULL,
    from_valid_to DATE NOT NULL,
    to_code VARCHAR NOT NULL,
    to_valid_from DATE NOT NULL
);
