"""The DuckDB warehouse: schema, loading, supersession, review tables and safe access."""
