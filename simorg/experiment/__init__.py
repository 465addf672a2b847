"""Experiments: replications, common random numbers, executors, comparisons, sweeps, store.

``simulate`` (one replication) lives in :mod:`.simulate`; everything here runs many of them:
:func:`replicate`, :func:`compare`, :func:`compare_many`, :func:`sweep`.
"""

from __future__ import annotations

from .api import ExperimentError, compare, compare_many, execute, replicate
from .executors import ExecutorError
from .results import ComparisonResult, MultiComparison, ReplicationResult
from .store import StoreError
from .sweep import Experiment, SweepResult, load_experiment, sweep

__all__ = [
    "ComparisonResult", "ExecutorError", "Experiment", "ExperimentError", "MultiComparison",
    "ReplicationResult", "StoreError", "SweepResult", "compare", "compare_many", "execute",
    "load_experiment", "replicate", "sweep",
]
