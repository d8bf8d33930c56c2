"""``python -m dateline``: the ``dateline`` command line."""

from dateline.cli.app import entry

entry()
