"""The demo and seed-scale data set of the "轨道上的京津冀" competition, generated from one seed.

``catalog`` is what the competition looks like (business systems, job types, metrics, demo
accounts); ``workforce`` plans the unit tree and the workers; ``entries`` generates the daily work
entries; ``seed`` writes all of it in one transaction, and clears or reports it again. Used by
``manage.py seed_demo`` and the benchmarks in ``bench/``.
"""

from competitions.demo.seed import (
    AccountRow,
    SeedError,
    SeedReport,
    demo_data_exists,
    existing_accounts,
    format_accounts,
    reset_demo_data,
    seed_dashboard,
    seed_demo,
    seed_standings,
)

__all__ = [
    "AccountRow",
    "SeedError",
    "SeedReport",
    "demo_data_exists",
    "existing_accounts",
    "format_accounts",
    "reset_demo_data",
    "seed_dashboard",
    "seed_demo",
    "seed_standings",
]
