"""Public data shipped with treatyledger, each file with its sources.

- ``new-start-aggregates.csv``: the three aggregate figures of every New START
  data exchange 2011-2023 for both parties, one row per exchange and party,
  with the row's status (``reported``, ``partly-unverified``, ``unverified``,
  ``not-provided``) and its sources.
"""
