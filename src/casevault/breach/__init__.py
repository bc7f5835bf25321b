"""Breach response (layer 4): incidents, affected people, notices, holds, download tracing.

Entry points (``docs/dev/breach.md`` follows one incident through them):
``incidents.open_incident`` (scan → affected → holds, with the clocks of ``clocks``),
``notices.write_notices``, ``downloads.trace_incident`` (parsing in ``trace``) and
``report.write_report``. Each takes the access layer's ``BreachDoor`` and an admitted
privacy officer: the door decides and ledgers, this package does the work.
"""
