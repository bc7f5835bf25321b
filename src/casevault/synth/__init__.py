"""Synthetic data: a whole immigration court system, seeded and reproducible.

``generate_court`` yields domain records (courts, facilities, staff, attorneys,
respondents and their families, cases, hearings, applications, charges,
encounters, documents, assignments) in which every reference resolves;
``write_court`` writes them as a case interchange folder. Everything is drawn
from the seed and from ``today`` (``REFERENCE_DATE`` unless given), never from
the clock, so the same arguments give byte-identical files.
"""

from casevault.synth._calendar import REFERENCE_DATE
from casevault.synth._generate import (
    CONTENT_SHARE,
    PROGRESS_EVERY,
    generate_court,
    write_court,
)
from casevault.synth._workday_run import simulate_court_workday, simulate_workday, write_workday

__all__ = ["CONTENT_SHARE", "PROGRESS_EVERY", "REFERENCE_DATE", "generate_court",
           "simulate_court_workday", "simulate_workday", "write_court", "write_workday"]
