"""What each run started by ``dateline serve`` does: the ingest flow, then its report and summary.

``dateline serve`` (flows/deploy.py) serves :func:`served_ingest`, a flow named ``ingest`` (so the
deployment is still ``ingest/<name>``) that runs :func:`flows.ingest.ingest`'s work and then, as
``make run`` does after ``dateline run``, writes the run's data-quality report and prints one
summary line (:func:`dateline.pipeline.announce.announce`). A run that fails is reported too: that
is when the report matters. The line goes to the run's stdout, which Prefect's runner streams to
the ``dateline serve`` terminal, for scheduled runs and runs triggered from the UI or the API alike
(each runs in a subprocess of the serving process).

A run whose status is not ``success`` ends its flow run ``Failed`` (``serve --once`` exits 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow
from prefect.states import Failed, State

if TYPE_CHECKING:
    from dateline.pipeline.summary import RunSummary


@flow(name="ingest", log_prints=False, validate_parameters=False)
def served_ingest(
    input_dir: Path,
    warehouse: Path,
    default_year: int | None = None,
    max_bytes: int | None = None,
) -> RunSummary | State:
    """The ``ingest`` flow as ``dateline serve`` runs it: ingest, then report and summary line.

    The configuration is read here, at the served run's edge, and passed to the flow. Expected
    failures (a locked warehouse, an input folder that cannot be listed, a warehouse error) end
    the flow run ``Failed`` with their one-line message, without a traceback; anything else is
    re-raised after the summary line, for Prefect to log.
    """
    # imported here: the serving process registers this flow without the pipeline's libraries
    from dateline import config
    from dateline.errors import WarehouseError
    from dateline.pipeline.announce import announce, error_text
    from dateline.pipeline.discover import InputError
    from dateline.warehouse import lock
    from flows.ingest import ingest

    warehouse = Path(warehouse)
    run_id = lock.new_run_id()  # known here, so that a run that raises is still reported
    try:
        summary = ingest.fn(
            Path(input_dir),
            warehouse,
            default_year=default_year,
            max_bytes=max_bytes,
            run_id=run_id,
            config=config.load(),
        )
    except (InputError, WarehouseError) as exc:
        announce(warehouse, run_id, None, exc)
        return Failed(message=error_text(exc))
    except BaseException as exc:
        announce(warehouse, run_id, None, exc)
        raise
    announce(warehouse, run_id, summary, None)
    if summary.status != "success":
        return Failed(message=summary.message or "run failed", data=summary)
    return summary


__all__ = ["served_ingest"]
