"""The health department's view: Parquet extract, DuckDB dashboards, outbreak surveillance."""
