"""Dateline's application: configuration, the command line, the warehouse, the runtime the flows run
in (workers, the temporary Prefect API, progress, interrupts), the data-quality runner, the report,
and evaluation. Prefect flows live in ``flows/``; pure transformations in ``transforms/``; table
definitions in ``schemas/`` (docs/architecture.md)."""
