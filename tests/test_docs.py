"""The generated parts of docs/ match the code that declares them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("generate_docs",
                                                  ROOT / "scripts" / "generate_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current() -> None:
    stale = [path.name for path, text in _generator().rendered().items()  # type: ignore[attr-defined]
             if path.read_text(encoding="utf-8") != text]
    assert stale == [], "run `python scripts/generate_docs.py` and commit the result"


def test_formats_doc_lists_every_design_column() -> None:
    """DESIGN.md's columns, typed in here by hand, all appear in docs/formats.md."""
    design = {
        "persons": "person_id a_number family_name given_name other_names date_of_birth sex "
                   "nationality language address city state postal_code phone email",
        "relatives": "person_id relative_id relation",
        "cases": "case_id person_id court_code case_type status custody facility_code opened_on "
                 "closed_on",
        "attorneys": "attorney_id family_name given_name organization bar_state",
        "representations": "case_id attorney_id started_on ended_on",
        "hearings": "hearing_id case_id scheduled_at hearing_type judge_user_id outcome",
        "applications": "application_id case_id kind filed_on decision decided_on",
        "encounters": "encounter_id person_id agency occurred_on kind outcome",
        "documents": "document_id case_id category title filed_on",
        "users": "user_id family_name given_name role agency office_code address city state "
                 "postal_code phone email active_from active_to",
        "assignments": "user_id case_id capacity started_on ended_on",
    }
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for name, columns in design.items():
        section = text.split(f"### `{name}`", 1)[1].split("### ", 1)[0]
        listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
        assert listed[: len(columns.split())] == columns.split(), name
