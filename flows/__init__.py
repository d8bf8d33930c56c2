"""Prefect flows and tasks, warehouse I/O and the dateline CLI."""
