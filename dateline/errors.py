"""Errors shared by the warehouse and its run lock, in a module without dependencies: the run lock
(:mod:`dateline.warehouse.lock`) is taken by ``dateline run`` before the heavy libraries are imported."""

from __future__ import annotations


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written; the message says what and where."""
