"""Declaration commitments: itemised inventories, their sum tree, openings and verification.

Import the modules directly for now (inventories: ``inventory``, ``inventory_csv``,
``inventory_json``, ``fixtures``); the package's public names will be gathered here.
"""

__all__: list[str] = []
