"""The extractor version: a digest of the code, reference data and models extraction reads."""

from __future__ import annotations

from pathlib import Path

from dateline.resources.extractor import extractor_version


def _tree(root: Path, model: bytes) -> Path:
    (root / "transforms").mkdir(parents=True)
    (root / "transforms" / "events.py").write_text("RULES = 1\n")
    (root / "seeds" / "reference").mkdir(parents=True)
    (root / "seeds" / "reference" / "actors.csv").write_text("a,b\n")
    (root / "seeds" / "models" / "parser" / "tok2vec").mkdir(parents=True)
    (root / "seeds" / "models" / "parser" / "tok2vec" / "model").write_bytes(model)
    (root / "README.md").write_text("not read by extraction\n")
    return root


def test_the_version_is_a_digest_of_what_extraction_reads(tmp_path: Path) -> None:
    first = extractor_version(_tree(tmp_path / "a", b"weights"))
    assert first == extractor_version(_tree(tmp_path / "b", b"weights"))  # same files, same version
    assert len(first) == 12 and int(first, 16) >= 0
    assert extractor_version(_tree(tmp_path / "c", b"retrained")) != first  # a model changed
    changed = _tree(tmp_path / "d", b"weights")
    (changed / "README.md").write_text("edited\n")
    assert extractor_version(changed) == first  # documentation is not the extractor


def test_the_installed_extractor_has_a_version() -> None:
    assert len(extractor_version()) == 12
