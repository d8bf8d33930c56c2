"""One configuration (dateline.config) and one place for process-wide settings (dateline.environment).

Pure and fast: no Prefect, no warehouse, no process started (importing the checks in a clean
interpreter: tests/integration/test_config.py).
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

from dateline import config, environment
from dateline.config import REPO_ROOT, Config


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DATELINE_* variable set; a config file in ``tmp_path`` naming its own warehouse."""
    for variable in [v for v in os.environ if v.startswith("DATELINE_")]:
        monkeypatch.delenv(variable)
    config_file = tmp_path / "dateline.toml"
    config_file.write_text('[paths]\nwarehouse = "from-file.duckdb"\n', encoding="utf-8")
    monkeypatch.setenv("DATELINE_CONFIG", str(config_file))
    return config_file


def test_warehouse_lookup_order(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--warehouse, else $DATELINE_WAREHOUSE (as written), else [paths] warehouse of the file."""
    from_file = clean_environment.parent / "from-file.duckdb"
    assert config.warehouse_path() == from_file
    assert config.load().warehouse == from_file
    monkeypatch.setenv("DATELINE_PATHS_WAREHOUSE", "/override/of/the/key.duckdb")
    assert config.warehouse_path() == Path("/override/of/the/key.duckdb")
    monkeypatch.setenv("DATELINE_WAREHOUSE", "relative.duckdb")
    assert config.warehouse_path() == Path("relative.duckdb")
    assert config.load().warehouse == Path.cwd() / "relative.duckdb"  # the same file
    assert config.warehouse_path(Path("/option.duckdb")) == Path("/option.duckdb")


def test_a_named_warehouse_does_not_read_the_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command given --warehouse (or $DATELINE_WAREHOUSE) works beside a broken dateline.toml;
    without them the broken file is the error."""
    clean_environment.write_text("[paths\n", encoding="utf-8")
    assert config.warehouse_path(Path("given.duckdb")) == Path("given.duckdb")
    with pytest.raises(config.ConfigError, match="cannot read config"):
        config.warehouse_path()
    monkeypatch.setenv("DATELINE_WAREHOUSE", "exported.duckdb")
    assert config.warehouse_path() == Path("exported.duckdb")


def test_an_already_loaded_config_is_used(clean_environment: Path) -> None:
    loaded = Config(warehouse=Path("/loaded.duckdb"))
    clean_environment.write_text("[paths\n", encoding="utf-8")  # would fail if read again
    assert config.warehouse_path(None, loaded) == Path("/loaded.duckdb")


def test_shared_data_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATELINE_SHARED_DATA", raising=False)
    assert config.shared_data() == REPO_ROOT.parent / "shared" / "data"
    monkeypatch.setenv("DATELINE_SHARED_DATA", "elsewhere/data")  # relative to the repository
    assert config.shared_data() == (REPO_ROOT / "elsewhere" / "data").resolve()
    line = config.missing_shared("corpus folder", Path("/x/corpus"))
    assert line.startswith("corpus folder /x/corpus not found: ") and "DATELINE_SHARED_DATA" in line


def test_repository_root_is_the_checkout() -> None:
    assert (REPO_ROOT / "dateline.toml").is_file() and (REPO_ROOT / "pyproject.toml").is_file()
    assert Config().input == REPO_ROOT / "seeds" / "articles"


def test_configure_keeps_what_the_user_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    environment.configure()
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG"
    assert os.environ["DO_NOT_TRACK"] == "1"


def test_each_default_is_stated_once() -> None:
    """The max_bytes default is written in dateline/config.py only; the deployment takes every
    [serve] and [run] setting from its caller instead of repeating the defaults."""
    from flows import deploy

    literal = re.compile(r"\b5_?000_?000\b")
    written = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("dateline", "flows", "transforms", "schemas", "seeds")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert written == ["dateline/config.py"]
    parameters = inspect.signature(deploy.serve).parameters
    for name in ("deployment", "host", "port", "prefect_home", "default_year", "max_bytes"):
        assert parameters[name].default is inspect.Parameter.empty, name
