-- Version 1: the star schema, the pipeline record and the history tables (warehouse.md).
CREATE TABLE IF NOT EXISTS dim_agency (
    agency_key INTEGER PRIMARY KEY,
    agency_code VARCHAR NOT NULL UNIQUE,
    agency_name VARCHAR NOT NULL,
    short_name VARCHAR,
    is_standing BOOLEAN,
    valid_from DATE,
    valid_to DATE
);

CREATE TABLE IF NOT EXISTS dim_district (
    district_key INTEGER PRIMARY KEY,
    district_code VARCHAR NOT NULL,
    district_name VARCHAR NOT NULL,
    district_type VARCHAR NOT NULL,
    province_code VARCHAR NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    change_note_vi VARCHAR,
    UNIQUE (district_code, valid_from)
);

CREATE TABLE IF NOT EXISTS dim_period (
    period_key INTEGER PRIMARY KEY,
    period_code VARCHAR NOT NULL UNIQUE,
    period_type VARCHAR NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    year INTEGER NOT NULL,
    label_vi VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_indicator (
    indicator_key INTEGER PRIMARY KEY,
    indicator_code VARCHAR NOT NULL UNIQUE,
    indicator_name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    value_kind VARCHAR NOT NULL,
    indicator_group VARCHAR,
    sort_order INTEGER
);

CREATE TABLE IF NOT EXISTS etl_submission (
    submission_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    archive_path VARCHAR,
    file_sha256 VARCHAR NOT NULL,
    agency_code VARCHAR,
    period_code VARCHAR,
    received_at TIMESTAMP NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    run_id VARCHAR,
    status VARCHAR NOT NULL,
    error_count INTEGER NOT NULL,
    warning_count INTEGER NOT NULL,
    report_date DATE,
    email VARCHAR,
    in_force_from TIMESTAMP,
    in_force_to TIMESTAMP,
    superseded_by INTEGER,
    duplicate_of INTEGER
);

CREATE TABLE IF NOT EXISTS dq_issue (
    submission_id INTEGER NOT NULL,
    severity VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    sheet VARCHAR,
    cell VARCHAR,
    indicator_code VARCHAR,
    district_code VARCHAR,
    message VARCHAR NOT NULL
);

-- Every value ever loaded, with the time it entered and left force.
CREATE TABLE IF NOT EXISTS fact_indicator_value_history (
    submission_id INTEGER NOT NULL,
    agency_key INTEGER NOT NULL,
    district_key INTEGER NOT NULL,
    period_key INTEGER NOT NULL,
    indicator_key INTEGER NOT NULL,
    value DECIMAL(18, 6) NOT NULL,
    sheet VARCHAR,
    cell VARCHAR,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP
);

CREATE TABLE IF NOT EXISTS fact_indicator_value (
    agency_key INTEGER NOT NULL,
    district_key INTEGER NOT NULL,
    period_key INTEGER NOT NULL,
    indicator_key INTEGER NOT NULL,
    value DECIMAL(18, 6) NOT NULL,
    submission_id INTEGER NOT NULL,
    sheet VARCHAR,
    cell VARCHAR
);

CREATE TABLE IF NOT EXISTS fact_task_history (
    submission_id INTEGER NOT NULL,
    agency_key INTEGER NOT NULL,
    period_key INTEGER NOT NULL,
    task_no INTEGER NOT NULL,
    task_name VARCHAR NOT NULL,
    task_kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    lead_agency_code VARCHAR,
    deadline DATE,
    note VARCHAR,
    sheet VARCHAR,
    cell VARCHAR,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP
);

CREATE TABLE IF NOT EXISTS fact_task (
    agency_key INTEGER NOT NULL,
    period_key INTEGER NOT NULL,
    task_no INTEGER NOT NULL,
    task_name VARCHAR NOT NULL,
    task_kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    lead_agency_code VARCHAR,
    deadline DATE,
    note VARCHAR,
    submission_id INTEGER NOT NULL
);

-- Reference settings the review tables need, copied from the catalogue on every refresh.
CREATE TABLE IF NOT EXISTS ref_reporting (
    agency_code VARCHAR NOT NULL,
    period_type VARCHAR NOT NULL,
    deadline_days INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS ref_program (
    phase_code VARCHAR NOT NULL,
    program_name VARCHAR NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    agency_codes VARCHAR[] NOT NULL
);
