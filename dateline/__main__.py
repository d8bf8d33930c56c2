"""``python -m dateline``: the ``dateline`` command line."""

from dateline.cli.main import entry

entry()
