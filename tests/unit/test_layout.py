"""The layout issue #13 set up stays in place: flows/ holds Prefect flows, tasks and deployments
only, and no function of the application or the flows grows past 80 lines (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

MAX_FUNCTION_LINES = 80


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (REPO / package).rglob("*.py"))


def test_no_function_in_the_application_or_the_flows_is_longer_than_80_lines() -> None:
    too_long = []
    for path in _modules("dateline", "flows"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    assert not too_long, "split these into named steps:\n" + "\n".join(too_long)


def _uses_prefect(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "prefect":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "prefect" for a in node.names):
            return True
    return False


def test_every_module_of_flows_is_a_prefect_flow_task_or_deployment() -> None:
    """A module in flows/ that does not use Prefect belongs to the application (dateline/)."""
    not_prefect = [
        str(path.relative_to(REPO))
        for path in _modules("flows")
        if path.name != "__init__.py" and not _uses_prefect(ast.parse(path.read_text()))
    ]
    assert not not_prefect, f"move to the application package: {not_prefect}"
    assert (REPO / "flows" / "ingest.py").is_file() and (REPO / "flows" / "tasks.py").is_file()
