"""Seed data (sample articles, reference CSVs, the NER model) and the scripts that rebuild it.

The scripts are modules of this package, run from the repository root:
``python -m seeds.build_reference`` (``make seeds``) and ``python -m seeds.build_verbs``.
"""
