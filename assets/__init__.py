"""Thin Dagster assets and checks over the workbooks, expectations and warehouse layers."""
