"""The synthetic court: reproducible, internally consistent and realistic in its shares.

Every check reads the written folder with the csv module (or pyarrow), never the
generator's internals, so it is an independent check of what consumers receive.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from casevault.domain import vocab
from casevault.synth import REFERENCE_DATE, generate_court, write_court

PEOPLE = 400
SEED = 11

Rows = list[dict[str, str]]

REFERENCES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("facilities", "court_code"): (("courts", "court_code"),),
    ("addresses", "person_id"): (("persons", "person_id"),),
    ("relatives", "person_id"): (("persons", "person_id"),),
    ("relatives", "relative_id"): (("persons", "person_id"),),
    ("cases", "person_id"): (("persons", "person_id"),),
    ("cases", "court_code"): (("courts", "court_code"),),
    ("cases", "facility_code"): (("facilities", "facility_code"),),
    ("cases", "lead_case_id"): (("cases", "case_id"),),
    ("representations", "case_id"): (("cases", "case_id"),),
    ("representations", "attorney_id"): (("attorneys", "attorney_id"),),
    ("hearings", "case_id"): (("cases", "case_id"),),
    ("hearings", "judge_user_id"): (("users", "user_id"),),
    ("applications", "case_id"): (("cases", "case_id"),),
    ("charges", "case_id"): (("cases", "case_id"),),
    ("encounters", "person_id"): (("persons", "person_id"),),
    ("documents", "case_id"): (("cases", "case_id"),),
    ("documents", "filed_by"): (("users", "user_id"), ("attorneys", "attorney_id")),
    ("documents", "application_id"): (("applications", "application_id"),),
    ("assignments", "user_id"): (("users", "user_id"),),
    ("assignments", "case_id"): (("cases", "case_id"),),
}
"""Every reference of the interchange format, written out here rather than imported."""

ENUM_COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("persons", "sex"): vocab.Sex,
    ("relatives", "relation"): vocab.Relation,
    ("cases", "case_type"): vocab.CaseType,
    ("cases", "status"): vocab.CaseStatus,
    ("cases", "custody"): vocab.Custody,
    ("hearings", "hearing_type"): vocab.HearingType,
    ("hearings", "outcome"): vocab.HearingOutcome,
    ("applications", "kind"): vocab.ApplicationKind,
    ("applications", "decision"): vocab.Decision,
    ("encounters", "agency"): vocab.EncounterAgency,
    ("encounters", "kind"): vocab.EncounterKind,
    ("encounters", "outcome"): vocab.EncounterOutcome,
    ("documents", "category"): vocab.DocumentCategory,
    ("users", "role"): vocab.Role,
    ("users", "agency"): vocab.Agency,
    ("assignments", "capacity"): vocab.Capacity,
}

US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR",
})
STANDARD_OFFSET = {"NY": -5, "CA": -8, "TX": -6, "FL": -5, "IL": -6, "GA": -5, "NJ": -5,
                   "VA": -5, "MA": -5, "CO": -7, "WA": -8, "AZ": -7, "HI": -10}


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "court"
    write_court(folder, people=PEOPLE, seed=SEED)
    return folder


@pytest.fixture(scope="module")
def tables(court: Path) -> dict[str, Rows]:
    return {path.stem: _rows(path) for path in court.glob("*.csv")}


def _rows(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _manifest_hashes(folder: Path) -> dict[str, str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: entry["sha256"] for name, entry in manifest["files"].items()}


# -- reproducibility --------------------------------------------------------------------


def test_same_seed_writes_identical_files(court: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_court(again, people=PEOPLE, seed=SEED)
    assert _manifest_hashes(again) == _manifest_hashes(court)
    documents = sorted(p.name for p in (court / "documents").iterdir())
    assert documents == sorted(p.name for p in (again / "documents").iterdir())
    assert all((court / "documents" / name).read_bytes()
               == (again / "documents" / name).read_bytes() for name in documents)


def test_another_seed_writes_another_court(court: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_court(other, people=PEOPLE, seed=SEED + 1)
    ours, theirs = _manifest_hashes(court), _manifest_hashes(other)
    assert ours["persons"] != theirs["persons"]
    assert ours["cases"] != theirs["cases"]


def test_today_moves_the_calendar() -> None:
    earlier = date(2024, 6, 3)
    hearings = [r for r in generate_court(people=60, seed=SEED, today=earlier)
                if type(r).__name__ == "Hearing"]
    assert hearings
    for hearing in hearings:
        future = hearing.scheduled_at.date() >= earlier  # type: ignore[attr-defined]
        assert (hearing.outcome is None) == future  # type: ignore[attr-defined]


def test_parquet_has_the_same_rows_as_csv(tables: dict[str, Rows], tmp_path: Path) -> None:
    folder = tmp_path / "parquet"
    counts = write_court(folder, people=PEOPLE, seed=SEED, fmt="parquet")
    for name, rows in tables.items():
        assert pq.read_table(folder / f"{name}.parquet").num_rows == len(rows) == counts[name]
    persons = pq.read_table(folder / "persons.parquet").to_pylist()
    assert [p["a_number"] for p in persons] == [p["a_number"] for p in tables["persons"]]


def test_progress_reports_persons(tmp_path: Path) -> None:
    seen: list[int] = []
    counts = write_court(tmp_path / "p", people=1001, seed=SEED, progress=seen.append,
                         content_share=0.0)
    assert seen == [1000, 1001]
    assert counts["persons"] == 1001
    assert not (tmp_path / "p" / "documents").exists()


# -- integrity --------------------------------------------------------------------------


def test_every_reference_resolves(tables: dict[str, Rows]) -> None:
    for (table, column), targets in REFERENCES.items():
        allowed = {row[key] for target, key in targets for row in tables[target]}
        values = {row[column] for row in tables[table] if row[column]}
        missing = values - allowed
        assert not missing, f"{table}.{column} has unresolved ids: {sorted(missing)[:5]}"


def test_keys_are_unique(tables: dict[str, Rows]) -> None:
    keys = {"persons": ("person_id",), "cases": ("case_id",), "hearings": ("hearing_id",),
            "users": ("user_id",), "attorneys": ("attorney_id",), "documents": ("document_id",),
            "applications": ("application_id",), "relatives": ("person_id", "relative_id"),
            "addresses": ("person_id", "valid_from"),
            "representations": ("case_id", "attorney_id", "started_on"),
            "assignments": ("user_id", "case_id", "capacity", "started_on")}
    for table, columns in keys.items():
        seen = Counter(tuple(row[c] for c in columns) for row in tables[table])
        assert max(seen.values()) == 1, table


def test_a_numbers_are_canonical_and_unique(tables: dict[str, Rows]) -> None:
    numbers = [row["a_number"] for row in tables["persons"]]
    assert len(numbers) == PEOPLE
    assert all(re.fullmatch(r"A2[0-4][0-9]{7}", n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_vocabulary_values_are_valid(tables: dict[str, Rows]) -> None:
    for (table, column), enum in ENUM_COLUMNS.items():
        allowed = {member.value for member in enum}
        values = {row[column] for row in tables[table] if row[column]}
        assert values <= allowed, f"{table}.{column}: {values - allowed}"
    for row in tables["persons"]:
        assert vocab.is_country_code(row["nationality"])
        assert vocab.is_language_code(row["language"])
    for row in tables["hearings"]:
        assert not row["interpreter_language"] or vocab.is_language_code(
            row["interpreter_language"])


def test_contact_details_are_us_and_synthetic(tables: dict[str, Rows]) -> None:
    for table in ("persons", "users", "addresses", "courts", "facilities"):
        for row in tables[table]:
            assert not row.get("state") or row["state"] in US_STATES
            assert not row.get("postal_code") or re.fullmatch(r"[0-9]{5}", row["postal_code"])
    for table in ("persons", "users"):
        for row in tables[table]:
            assert not row["phone"] or re.fullmatch(r"\([2-9][0-9]{2}\) 555-[0-9]{4}",
                                                    row["phone"])
            assert not row["email"] or re.fullmatch(
                r"[a-z0-9.]+@([a-z0-9]+\.)?example\.(com|org|net)", row["email"])
    for row in tables["users"]:
        assert row["phone"][6:12] == "555-01", "staff work numbers are in 555-0100..0199"


# -- dates ------------------------------------------------------------------------------


def test_case_dates_are_consistent(tables: dict[str, Rows]) -> None:
    for case in tables["cases"]:
        opened = _day(case["opened_on"])
        assert date(2014, 1, 1) <= opened <= REFERENCE_DATE
        if case["status"] == "closed":
            assert opened <= _day(case["closed_on"]) <= REFERENCE_DATE
        else:
            assert case["closed_on"] == ""
        assert (case["facility_code"] != "") == (case["custody"] == "detained")


def test_periods_never_end_before_they_start(tables: dict[str, Rows]) -> None:
    for table, start, end in (("representations", "started_on", "ended_on"),
                              ("assignments", "started_on", "ended_on"),
                              ("users", "active_from", "active_to"),
                              ("addresses", "valid_from", "valid_to"),
                              ("applications", "filed_on", "decided_on")):
        for row in tables[table]:
            assert not row[end] or _day(row[start]) <= _day(row[end]), (table, row)


def test_case_events_fall_inside_the_case(tables: dict[str, Rows]) -> None:
    cases = {c["case_id"]: c for c in tables["cases"]}
    for table, column in (("representations", "started_on"), ("applications", "filed_on"),
                          ("documents", "filed_on"), ("assignments", "started_on")):
        for row in tables[table]:
            assert _day(row[column]) >= _day(cases[row["case_id"]]["opened_on"]), (table, row)
    for row in tables["applications"]:
        assert (row["decision"] == "") == (row["decided_on"] == "")


def test_hearings_are_on_weekdays_in_court_hours(tables: dict[str, Rows]) -> None:
    cases = {c["case_id"]: c for c in tables["cases"]}
    court_state = {c["court_code"]: c["state"] for c in tables["courts"]}
    for hearing in tables["hearings"]:
        case = cases[hearing["case_id"]]
        at = _instant(hearing["scheduled_at"])
        assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
        assert at.date() >= _day(case["opened_on"])
        local = at + timedelta(hours=STANDARD_OFFSET[court_state[case["court_code"]]])
        assert local.weekday() < 5
        assert 7 <= local.hour <= 16
        future = at.date() >= REFERENCE_DATE
        assert (hearing["outcome"] == "") == future
        assert (hearing["adjournment_reason"] != "") <= (hearing["outcome"] == "adjourned")
        if case["closed_on"]:
            assert at.date() <= _day(case["closed_on"])


def test_hearings_are_heard_by_judges_of_the_court(tables: dict[str, Rows]) -> None:
    cases = {c["case_id"]: c for c in tables["cases"]}
    users = {u["user_id"]: u for u in tables["users"]}
    for hearing in tables["hearings"]:
        judge = users[hearing["judge_user_id"]]
        assert judge["role"] == "judge"
        assert judge["office_code"] == cases[hearing["case_id"]]["court_code"]
        day = _instant(hearing["scheduled_at"]).date()
        assert _day(judge["active_from"]) <= day
        assert not judge["active_to"] or day <= _day(judge["active_to"])


def test_each_person_has_one_current_address_equal_to_theirs(tables: dict[str, Rows]) -> None:
    periods: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in tables["addresses"]:
        periods[row["person_id"]].append(row)
    for person in tables["persons"]:
        history = sorted(periods[person["person_id"]], key=lambda r: r["valid_from"])
        current = [p for p in history if not p["valid_to"]]
        assert len(current) == 1 and current[0] is history[-1]
        assert current[0]["address"] == person["address"]
        assert current[0]["postal_code"] == person["postal_code"]
        for before, after in pairwise(history):
            assert _day(before["valid_to"]) < _day(after["valid_from"])


# -- realistic shares -------------------------------------------------------------------


def test_about_a_third_of_cases_claim_asylum(tables: dict[str, Rows]) -> None:
    with_asylum = {a["case_id"] for a in tables["applications"] if a["kind"] == "asylum"}
    share = len(with_asylum) / len(tables["cases"])
    assert 0.25 <= share <= 0.45, share


def test_detained_share_and_facilities(tables: dict[str, Rows]) -> None:
    custody = Counter(c["custody"] for c in tables["cases"])
    assert 0.12 <= custody["detained"] / len(tables["cases"]) <= 0.28, custody
    facilities = {f["facility_code"]: f for f in tables["facilities"]}
    for case in tables["cases"]:
        if case["facility_code"]:
            assert facilities[case["facility_code"]]["court_code"] == case["court_code"]


def test_most_cases_are_removal_and_many_are_represented(tables: dict[str, Rows]) -> None:
    types = Counter(c["case_type"] for c in tables["cases"])
    assert types["removal"] / len(tables["cases"]) > 0.7
    assert types["bond"] > 0
    represented = {r["case_id"] for r in tables["representations"]}
    assert 0.5 <= len(represented) / len(tables["cases"]) <= 0.75


def test_families_are_linked_both_ways_and_riders_follow_a_relative(
        tables: dict[str, Rows]) -> None:
    links = {(r["person_id"], r["relative_id"]) for r in tables["relatives"]}
    assert len(links) > PEOPLE * 0.3
    assert all((b, a) in links for a, b in links)
    cases = {c["case_id"]: c for c in tables["cases"]}
    riders = [c for c in tables["cases"] if c["lead_case_id"]]
    assert len(riders) > 10
    for rider in riders:
        lead = cases[rider["lead_case_id"]]
        assert lead["court_code"] == rider["court_code"]
        assert not lead["lead_case_id"]
        assert (rider["person_id"], lead["person_id"]) in links


def test_relatives_usually_share_name_and_address(tables: dict[str, Rows]) -> None:
    persons = {p["person_id"]: p for p in tables["persons"]}
    pairs = [(persons[r["person_id"]], persons[r["relative_id"]]) for r in tables["relatives"]]
    same_address = sum(a["address"] == b["address"] for a, b in pairs)
    shared_name = sum(bool(set(a["family_name"].split()) & set(b["family_name"].split()))
                      for a, b in pairs)
    assert same_address == len(pairs)
    assert shared_name / len(pairs) > 0.6


def test_every_case_has_judge_and_notice_and_applications_have_forms(
        tables: dict[str, Rows], court: Path) -> None:
    judged = {a["case_id"] for a in tables["assignments"] if a["capacity"] == "judge"}
    noticed = {d["case_id"] for d in tables["documents"] if d["category"] == "notice_to_appear"}
    case_ids = {c["case_id"] for c in tables["cases"]}
    assert judged == case_ids == noticed
    forms = {d["application_id"]: d for d in tables["documents"] if d["application_id"]}
    for application in tables["applications"]:
        form = forms[application["application_id"]]
        assert form["category"] == "application"
        assert form["case_id"] == application["case_id"]
    with_content = [d for d in tables["documents"] if d["content_path"]]
    assert with_content
    for document in with_content:
        text = (court / document["content_path"]).read_text(encoding="utf-8")
        assert "SYNTHETIC RECORD" in text and document["case_id"] in text


def test_staff_of_every_court(tables: dict[str, Rows]) -> None:
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    for user in tables["users"]:
        roles[user["office_code"]][user["role"]] += 1
    for court in tables["courts"]:
        staff = roles[court["court_code"]]
        assert staff["judge"] >= 2 and staff["clerk"] >= 2 and staff["dhs_counsel"] >= 2
        assert staff["court_admin"] >= 1
    by_role = Counter(u["role"] for u in tables["users"])
    assert by_role["privacy_officer"] >= 2 and by_role["analyst"] >= 1
    advisors = [u for u in tables["users"] if u["role"] == "external_advisor"]
    assert advisors and all(u["agency"] == "OTHER" and u["active_to"] for u in advisors)
    assert all(u["agency"] == "ICE" for u in tables["users"] if u["role"] == "dhs_counsel")
    assert any(u["active_to"] for u in tables["users"] if u["role"] != "external_advisor")


def test_some_attorneys_hold_accounts_and_caseloads_are_skewed(tables: dict[str, Rows]) -> None:
    users = {u["user_id"]: u for u in tables["users"]}
    holders = [a for a in tables["attorneys"] if a["attorney_id"] in users]
    assert holders
    assert all(users[a["attorney_id"]]["role"] == "attorney"
               and users[a["attorney_id"]]["agency"] == "PRIVATE" for a in holders)
    load = Counter(r["attorney_id"] for r in tables["representations"])
    assert max(load.values()) >= 2 * min(load.values())


def test_names_are_latin_script_with_accents_and_two_family_names(
        tables: dict[str, Rows]) -> None:
    persons = tables["persons"]
    for person in persons:
        for text in (person["family_name"], person["given_name"], person["other_names"]):
            assert all(not ch.isalpha() or unicodedata.name(ch).startswith("LATIN")
                       for ch in text), text
    spanish = [p for p in persons if p["language"] == "spa"]
    assert sum(" " in p["family_name"] for p in spanish) / len(spanish) > 0.4
    assert any(unicodedata.normalize("NFKD", p["family_name"] + p["given_name"])
               != p["family_name"] + p["given_name"] for p in persons)
    assert sum(bool(p["other_names"]) for p in persons) / len(persons) > 0.05
    assert len({p["nationality"] for p in persons}) >= 8
    particles = (" da", " de", " do", " dos", " das", " del", " la")
    assert not any(p["family_name"].endswith(particles) for p in persons)


def test_languages_fit_nationalities(tables: dict[str, Rows]) -> None:
    expected = {"MX": {"spa", "eng", "nhe"}, "GT": {"spa", "mam", "quc", "kek"},
                "HT": {"hat", "fra"}, "BR": {"por"}, "CN": {"cmn", "cdo", "yue"},
                "RU": {"rus"}, "UA": {"ukr", "rus"}, "IN": {"hin", "pan", "guj"},
                "AF": {"prs", "pus"}}
    for person in tables["persons"]:
        if person["nationality"] in expected:
            assert person["language"] in expected[person["nationality"]]


def test_adults_and_children_have_plausible_ages(tables: dict[str, Rows]) -> None:
    ages = [(REFERENCE_DATE - _day(p["date_of_birth"])).days / 365.25
            for p in tables["persons"]]
    assert all(0 <= age <= 90 for age in ages)
    assert any(age < 18 for age in ages)
    assert sum(18 <= age <= 70 for age in ages) / len(ages) > 0.6
    encounters = Counter(e["agency"] for e in tables["encounters"])
    assert encounters["CBP"] > PEOPLE * 0.6
    assert encounters["ICE"] > 0


def test_now_is_never_read() -> None:
    """Two runs a moment apart give the same records (no clock in the generator)."""
    first = list(generate_court(people=30, seed=SEED))
    second = list(generate_court(people=30, seed=SEED))
    assert first == second
    assert all(getattr(r, "scheduled_at", datetime(2000, 1, 1, tzinfo=UTC)).tzinfo is UTC
               for r in first)
