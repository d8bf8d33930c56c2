"""Prefect flows, tasks and deployments: the ingest flow, the flow ``dateline serve`` serves."""
