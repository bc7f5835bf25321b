"""``casevault breach ...``: the breach response from the command line, on SQLite.

Who the leaked file names is read from the replica's label file, and who has
which open case, attorney and language from the court's interchange folder with
the csv module: the commands' answers are checked against the records.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from casevault.synth.leaks import IncidentReplica, write_incident_replica
from casevault.synth.weblogs import write_access_log

from .operators import ledger_count, person_ids, run, signed_in, users_with_role

WHY = "Breach response to the public site leak, ticket INC-8120"
OPEN_STATUSES = {"pending", "appealed", "administratively_closed"}


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def env(court_copy: dict[str, str]) -> dict[str, str]:
    return court_copy


@pytest.fixture
def replica(court_folder: Path, tmp_path: Path) -> IncidentReplica:
    return write_incident_replica(court_folder, tmp_path / "leak", rows=60,
                                  among=person_ids(court_folder))


@pytest.fixture
def officer(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    session = signed_in(env, users_with_role(env, "privacy_officer")[0], tmp_path / "officer")
    return {**env, "CASEVAULT_SESSION_FILE": str(session)}


def open_incident(env: dict[str, str], file: Path, *extra: str) -> str:
    code, out = run(env, "breach", "open", str(file), "--justification", WHY,
                    "--posted-at", "2026-11-01T08:00:00Z", "--detected-at",
                    "2026-11-20T14:05:00Z", "--removed-at", "2026-11-20T15:00:00Z",
                    "--where", "https://court.example/files/detained-asylum.csv", *extra)
    assert code == 0, out
    return out.split("incident ", 1)[1].split(":", 1)[0]


def test_only_a_privacy_officer_may_open_and_the_refusal_is_ledgered(
        env: dict[str, str], replica: IncidentReplica, tmp_path: Path) -> None:
    clerk = signed_in(env, users_with_role(env, "clerk")[0], tmp_path / "clerk")
    code, out = run(env, "breach", "open", str(replica.csv_path), "--justification", WHY,
                    CASEVAULT_SESSION_FILE=str(clerk))
    assert code == 2 and "Only privacy officers" in out
    assert ledger_count(env, "result = 'deny' AND detail LIKE '%not_privacy_officer%'") == 1
    assert ledger_count(env, "detail LIKE '%\"step\":\"open\"%'") == 0


def test_open_finds_exactly_the_replica_persons_and_holds_their_open_cases(
        officer: dict[str, str], replica: IncidentReplica, court_folder: Path) -> None:
    incident = open_incident(officer, replica.csv_path)
    code, out = run(officer, "breach", "affected", incident, "--json", "--justification", WHY)
    assert code == 0, out
    affected = json.loads(out)
    assert {a["person_id"] for a in affected} == set(replica.person_ids)
    assert all({"a_number"} <= set(a["kinds"]) and a["confidence"] >= 0.95 for a in affected)
    protected = {c["person_id"] for c in rows(court_folder, "cases")
                 for app in rows(court_folder, "applications")
                 if app["case_id"] == c["case_id"]
                 and app["kind"] in {"asylum", "withholding", "cat"}}
    assert {a["person_id"] for a in affected if a["asylum_exposed"]} == \
        protected & set(replica.person_ids)

    code, out = run(officer, "breach", "holds", incident, "--justification", WHY)
    assert code == 0, out
    expected = {c["case_id"] for c in rows(court_folder, "cases")
                if c["person_id"] in set(replica.person_ids) and c["status"] in OPEN_STATUSES}
    assert {line.split()[0] for line in out.split("ACTIVE") if line.strip()} == expected
    assert ledger_count(officer, "detail LIKE '%hold_placed%'") == len(expected)
    assert ledger_count(officer, "detail LIKE '%affected_shown%'") == 60

    code, out = run(officer, "breach", "show", incident, "--justification", WHY)
    assert code == 0, out
    assert "security_centre" in out and "OVERDUE" in out and "individuals" in out
    assert ledger_count(officer, "detail LIKE '%incident_shown%'") == 1
    again = open_incident(officer, replica.csv_path, "--no-holds")
    code, out = run(officer, "breach", "list", "--justification", WHY)
    assert code == 0 and incident in out and again in out
    assert ledger_count(officer, "detail LIKE '%hold_placed%'") == len(expected)


def test_a_file_naming_nobody_opens_an_incident_with_zero_affected(
        officer: dict[str, str], tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.csv"
    stranger.write_text("LAST NAME,FIRST NAME,DOB,A-NUMBER\nZZYZX,QUORBLE,01/02/1980,"
                        "A987654321\n", encoding="utf-8")
    incident = open_incident(officer, stranger)
    code, out = run(officer, "breach", "show", incident, "--justification", WHY)
    assert code == 0 and "affected: 0" in out and "names no person" in out
    code, out = run(officer, "breach", "unresolved", incident, "--justification", WHY)
    assert code == 0 and "A987654321" not in out and "a_number" in out


def test_notices_go_to_persons_and_attorneys_in_their_language(
        officer: dict[str, str], replica: IncidentReplica, court_folder: Path,
        tmp_path: Path) -> None:
    incident = open_incident(officer, replica.csv_path)
    out_dir = tmp_path / "notices"
    code, out = run(officer, "breach", "notices", incident, "--out", str(out_dir),
                    "--justification", WHY)
    assert code == 0, out
    with (out_dir / "mail-merge.csv").open(encoding="utf-8", newline="") as handle:
        merged = list(csv.DictReader(handle))
    persons = {r["person_id"]: r for r in rows(court_folder, "persons")}
    to_persons = [r for r in merged if r["recipient_kind"] == "person"]
    assert {r["recipient_id"] for r in to_persons} == set(replica.person_ids)
    for notice in to_persons:
        wanted = persons[notice["recipient_id"]]["language"]
        assert notice["language"] == (wanted if wanted in {"eng", "spa"} else "eng")
    counsel = {(c["person_id"], r["attorney_id"]) for c in rows(court_folder, "cases")
               for r in rows(court_folder, "representations")
               if r["case_id"] == c["case_id"] and c["status"] in OPEN_STATUSES
               and not r["ended_on"] and c["person_id"] in set(replica.person_ids)}
    assert {(r["about_person_id"], r["recipient_id"]) for r in merged
            if r["recipient_kind"] == "attorney"} == counsel
    spanish = next(r for r in to_persons if r["language"] == "spa")
    reader = PdfReader(out_dir / spanish["batch_file"])
    page = reader.pages[int(spanish["page"]) - 1].extract_text()
    assert "Aviso" in page and spanish["given_name"] in page
    assert (out_dir.stat().st_mode & 0o777) == 0o700
    code, out = run(officer, "breach", "notices", incident, "--out", str(tmp_path / "again"),
                    "--justification", WHY)
    assert code == 2 and "drafted already" in out
    code, out = run(officer, "breach", "mailed", incident, "--notice", "not-a-notice",
                    "--justification", WHY)
    assert code == 2 and "nothing was changed" in out
    assert "notices_mailed" not in run(officer, "breach", "show", incident,
                                       "--justification", WHY)[1]
    code, out = run(officer, "breach", "mailed", incident, "--justification", WHY)
    assert code == 0, out
    code, out = run(officer, "breach", "show", incident, "--justification", WHY)
    assert "clock individuals" in out and "MET" in out


def test_end_to_end_from_a_leaked_file_to_the_report(
        officer: dict[str, str], replica: IncidentReplica, court_folder: Path,
        tmp_path: Path) -> None:
    """Replica → open → affected = replica → holds → notices → trace of 1,000,000 lines →
    report; a held case refuses a removal-related outcome until an officer clears it."""
    incident = open_incident(officer, replica.csv_path, "--notices-to",
                             str(tmp_path / "notices"))
    code, out = run(officer, "breach", "affected", incident, "--json", "--justification", WHY)
    assert {a["person_id"] for a in json.loads(out)} == set(replica.person_ids)
    with (tmp_path / "notices" / "mail-merge.csv").open(encoding="utf-8") as handle:
        merged = list(csv.DictReader(handle))
    assert {r["recipient_id"] for r in merged if r["recipient_kind"] == "person"} == \
        set(replica.person_ids)

    # a removal-related outcome on a held case waits for the privacy officer
    held = {c["case_id"] for c in rows(court_folder, "cases")
            if c["person_id"] in set(replica.person_ids) and c["status"] in OPEN_STATUSES}
    hearing = next(h for h in rows(court_folder, "hearings")
                   if h["case_id"] in held and h["judge_user_id"]
                   and h["hearing_type"] in {"master", "individual"})
    judge = signed_in(officer, hearing["judge_user_id"], tmp_path / "judge")
    as_judge = {"CASEVAULT_SESSION_FILE": str(judge)}
    code, out = run(officer, "hearing", "outcome", hearing["hearing_id"], "completed",
                    **as_judge)
    assert code == 2 and "on hold" in out and hearing["case_id"] in out
    assert ledger_count(officer, "result = 'deny' AND detail LIKE '%case_on_hold%'") == 1
    code, out = run(officer, "hearing", "outcome", hearing["hearing_id"], "adjourned",
                    **as_judge)
    assert code == 0, out
    code, out = run(officer, "breach", "clear-hold", hearing["case_id"], "--reason", "Assessed "
                    "under ticket INC-8121: no new protection claim arises", "--justification",
                    WHY)
    assert code == 0 and "cleared 1" in out
    code, out = run(officer, "hearing", "outcome", hearing["hearing_id"], "completed",
                    **as_judge)
    assert code == 0, out

    planted = write_access_log(
        tmp_path / "logs", lines=1_000_000, leaked_path="/files/detained-asylum.csv",
        posted_at=datetime(2026, 11, 1, 8, tzinfo=UTC),
        removed_at=datetime(2026, 11, 20, 15, tzinfo=UTC), downloads=40, files=3,
        gzip_rotations=True)
    networks = tmp_path / "networks.csv"
    networks.write_text("network,name,contact\n192.0.2.0/24,Example Net,abuse@example.net\n"
                        "198.51.100.0/24,Sample ISP,noc@sample.example\n", encoding="utf-8")
    code, out = run(officer, "breach", "trace", incident, *map(str, planted.paths),
                    "--networks", str(networks), "--drafts", str(tmp_path / "drafts"),
                    "--justification", WHY)
    assert code == 0, out
    assert "1,000,000 lines in 3 files" in out and f"{planted.malformed:,} malformed" in out
    assert f"{len(planted.downloads)} requests" in out
    code, out = run(officer, "breach", "downloads", incident, "--justification", WHY)
    assert code == 0 and out.count("Z ") == len(planted.downloads)
    assert all(d.client in out for d in planted.downloads)
    database = Path(officer["CASEVAULT_DB_URL"].removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(f"{database.name}*"))
    assert not any(d.client.encode() in stored for d in planted.downloads)  # sealed at rest
    drafts = sorted((tmp_path / "drafts").iterdir())
    wanted = {n for n in ("192.0.2.", "198.51.100.")
              if any(d.client.startswith(n) for d in planted.downloads)}
    assert len(drafts) == len(wanted)

    code, out = run(officer, "breach", "report", incident, "--out", str(tmp_path / "report"),
                    "--justification", WHY)
    assert code == 0, out
    page = (tmp_path / "report" / f"incident-{incident}.html").read_text(encoding="utf-8")
    assert "<svg" in page and f"<td>{len(planted.downloads)}</td>" in page
    assert f"<td>{len(replica.person_ids)}</td>" in page
    assert not any(pid in page for pid in replica.person_ids)
    assert not any(d.client in page for d in planted.downloads)
    text = "".join(p.extract_text() for p in
                   PdfReader(tmp_path / "report" / f"incident-{incident}.pdf").pages)
    assert "Persons affected: 60" in text


@pytest.mark.parametrize("bad", [
    ("--posted-at", "last tuesday"), ("--detected-at", "2026-11-20T14:05:00"),
    ("--clock", "authority=soon"), ("--posted-at", "2026-12-01T00:00:00Z"),
])
def test_bad_input_at_open_is_a_clear_error_and_opens_nothing(
        officer: dict[str, str], replica: IncidentReplica, bad: tuple[str, str]) -> None:
    code, out = run(officer, "breach", "open", str(replica.csv_path), "--justification", WHY,
                    "--detected-at", "2026-11-20T14:05:00Z", *bad)
    assert code == 2 and "error" in out and "Traceback" not in out
    assert ledger_count(officer, "detail LIKE '%\"step\":\"open\"%'") == 0
    code, out = run(officer, "breach", "list", "--justification", WHY)
    assert code == 0 and "inc-" not in out
