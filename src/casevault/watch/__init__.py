"""Misuse detection (layer 4): explanations, detectors and alerts over access events.

Public surface: ``run_pipeline`` (context from the store, events from a file or the
ledger), ``run_watch`` (the same on tables in memory), the rule catalogue, alerts
and evaluation. Everything in ``_``-modules is internal.
"""

from casevault.watch._alerts import Alert, read_alerts, write_alerts
from casevault.watch.evaluate import Evaluation, evaluate, read_labels
from casevault.watch.pipeline import run_pipeline
from casevault.watch.rules import DETECTOR_NAMES, DETECTORS, EXPLANATION_NAMES
from casevault.watch.run import RunResult, run_watch

__all__ = ["DETECTORS", "DETECTOR_NAMES", "EXPLANATION_NAMES", "Alert", "Evaluation",
           "RunResult", "evaluate", "read_alerts", "read_labels", "run_pipeline", "run_watch",
           "write_alerts"]
