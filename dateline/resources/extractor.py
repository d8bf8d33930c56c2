"""The extractor version: which models and rules extracted a run's rows.

A digest of every file extraction reads: the transforms' code (``transforms/*.py``), the reference data and
curated tables (``seeds/reference``, ``seeds/curated``) and the models (``seeds/models``). Each run records it
(``runs.extractor_version``), so every row says, through its ``run_id``, which extractor wrote it, and
``dateline status`` says how many loaded articles an older extractor wrote.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from dateline.config import REPO_ROOT

#: What extraction reads, relative to the repository: (folder, glob).
EXTRACTOR_FILES: tuple[tuple[str, str], ...] = (
    ("transforms", "*.py"),
    ("seeds/reference", "*.csv"),
    ("seeds/curated", "*.csv"),
    ("seeds/models", "**/*"),
)


def extractor_version(root: Path = REPO_ROOT) -> str:
    """12 hex digits of a SHA-256 over the names and contents of the files extraction reads under ``root``
    (cached per process and root)."""
    return _version(str(root))


@lru_cache(maxsize=4)
def _version(root: str) -> str:
    base = Path(root)
    digest = hashlib.sha256()
    for folder, pattern in EXTRACTOR_FILES:
        for path in sorted(p for p in (base / folder).glob(pattern) if p.is_file()):
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]
