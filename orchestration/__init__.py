"""Dagster definitions, jobs, schedules, sensors and the chitieu command line."""
