"""``casevault share agreement ...`` and ``casevault stats ...`` through the real commands.

Two data owners decide an agreement (the proposer cannot approve it), an outside
advisor asks statistics under it and is refused without it, and an analyst asks
under their own budget; the output is aggregates with noise scale and intervals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import text

from access.share_helpers import add_efficiency_reviewer
from casevault.store import make_engine
from casevault.synth.leaks import write_incident_replica

from .operators import (
    data_owner,
    enroll,
    in_days,
    ledger_count,
    person_ids,
    run,
    signed_in,
    users_with_role,
)
from .test_one_door_cli import PERSONAL_DATA

BASIS = "Data-sharing agreement DSA-2026-14 under 5 U.S.C. 552a(b)(3)"


def _secret(env: dict[str, str], user: str) -> str:
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            return str(connection.execute(text(
                "SELECT totp_secret FROM accounts WHERE user_id = :u"), {"u": user}).scalar_one())
    finally:
        engine.dispose()


def _login(env: dict[str, str], user: str, session: Path) -> dict[str, str]:
    code, out = run(env, "access", "login", user, "--session-file", str(session),
                    CASEVAULT_TOTP_CODE=pyotp.TOTP(_secret(env, user)).now())
    assert code == 0, out
    return {**env, "CASEVAULT_SESSION_FILE": str(session)}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, court_folder: Path) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("share-cli")
    found = {"CASEVAULT_DB_URL": f"sqlite:///{folder / 'court.db'}",
             "CASEVAULT_KEY_DIR": str(folder / "keys"),
             "CASEVAULT_SHIELD_DIR": str(folder / "shield")}
    assert run(found, "init")[0] == 0
    assert run(found, "import", str(court_folder))[0] == 0
    return found


@pytest.fixture(scope="module")
def owner_env(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The court administrator, bootstrapped as data owner and signed in once (codes work once)."""
    return _login(env, data_owner(env), tmp_path_factory.mktemp("owner") / "session")


def test_two_data_owners_decide_an_agreement_and_the_advisor_asks_under_it(
        env: dict[str, str], owner_env: dict[str, str], tmp_path: Path) -> None:
    owner = data_owner(env)
    officer = users_with_role(env, "privacy_officer")[0]
    officer_env = {**env, "CASEVAULT_SESSION_FILE": str(
        signed_in(env, officer, tmp_path / "officer"))}
    advisor = users_with_role(env, "external_advisor")[0]
    enroll(env, advisor)
    assert run(env, "access", "approve", advisor, "--by", owner, "--legal-basis", BASIS,
               "--expires-on", in_days(60), "--purpose", "statistics")[0] == 0
    assert run(env, "access", "attest-training", advisor, "--by", advisor, "--valid-until",
               in_days(300))[0] == 0
    advisor_env = _login(env, advisor, tmp_path / "advisor")

    code, out = run(owner_env, "share", "agreement", "propose", advisor, "--legal-basis", BASIS,
                    "--purposes", "statistics", "--categories", "case,identity", "--kinds",
                    "statistics,extract", "--starts-on", in_days(0), "--expires-on",
                    in_days(30), "--epsilon-budget", "1")
    assert code == 0, out
    agreement_id = out.split()[1]
    code, out = run(owner_env, "share", "agreement", "approve", agreement_id)
    assert code == 2 and "another data owner" in out
    code, out = run(officer_env, "share", "agreement", "approve", agreement_id)
    assert code == 0, out

    code, out = run(advisor_env, "share", "agreement", "list")
    assert code == 0 and agreement_id in out and "in_force" in out
    code, out = run(advisor_env, "stats", "ask", "count", "--by", "custody", "--epsilon", "0.5")
    assert code == 2 and "agreement" in out
    code, out = run(advisor_env, "stats", "ask", "count", "--by", "custody", "--epsilon", "0.5",
                    "--agreement", agreement_id, "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert {c["custody"] for c in answer["cells"]} == {"detained", "released", "never_detained"}
    assert answer["noise_scales"]["value"] == pytest.approx(3 / 0.5)
    assert all(c["low"] <= c["value"] <= c["high"] for c in answer["cells"])
    code, out = run(advisor_env, "stats", "ask", "count", "--by", "case_type", "--agreement",
                    agreement_id)
    assert code == 2 and "category" in out
    code, out = run(advisor_env, "stats", "budget", "--agreement", agreement_id)
    assert code == 0 and "agreement" in out and "0.5 left" in out
    assert ledger_count(env, "action = 'disclosure' AND result = 'permit'") == 1
    assert ledger_count(env, "action = 'disclosure' AND result = 'deny'") == 2

    code, out = run(advisor_env, "share", "extract", "--agreement", agreement_id, "--out",
                    str(tmp_path / "extract"), "--k", "5")
    assert code == 0, out
    assert "achieved k" in out and (tmp_path / "extract" / "MANIFEST.note").exists()
    vkey = json.loads((tmp_path / "extract" / "MANIFEST.note").read_text(
        encoding="utf-8").split("\n", 1)[0])["verifier_key"]
    code, out = run(env, "share", "verify-extract", str(tmp_path / "extract"), "--vkey", vkey)
    assert code == 0 and "signature ok" in out, out
    (tmp_path / "extract" / "cases.csv").write_text("tampered\n", encoding="utf-8")
    code, out = run(env, "share", "verify-extract", str(tmp_path / "extract"), "--vkey", vkey)
    assert code == 2 and "does not match the signed manifest" in out

    code, out = run(owner_env, "share", "revoke", advisor, "--reason", "court_order",
                    "--inventory-out", str(tmp_path / "inventory.json"))
    assert code == 0, out
    revocation_id = out.split()[1].rstrip(":")
    inventory = json.loads((tmp_path / "inventory.json").read_text(encoding="utf-8"))
    assert inventory["counts"] == {"statistics": 1, "extract": 1}
    assert (tmp_path / "inventory.json").stat().st_mode & 0o777 == 0o600
    code, out = run(advisor_env, "stats", "budget")
    assert code == 2  # the party's session ended with the revocation
    certificate = tmp_path / "deletion-certificate.pdf"
    certificate.write_bytes(b"%PDF-1.4 signed deletion certificate of the synthetic advisor")
    assert run(owner_env, "share", "certify", revocation_id, "--certificate",
               str(certificate))[0] == 0
    code, out = run(owner_env, "share", "accept", revocation_id)
    assert code == 2 and "another data owner" in out
    code, out = run(officer_env, "share", "accept", revocation_id)
    assert code == 0 and "closed" in out


def test_bad_input_is_refused_with_what_to_fix(owner_env: dict[str, str]) -> None:
    code, out = run(owner_env, "share", "agreement", "propose", "U1", "--legal-basis", BASIS,
                    "--purposes", "gossip", "--categories", "case", "--kinds", "statistics",
                    "--starts-on", in_days(0), "--expires-on", in_days(30))
    assert code == 2 and "--purposes" in out and "statistics" in out
    code, out = run(owner_env, "stats", "ask", "count", "--by", "a_number")
    assert code == 2 and "cannot group by" in out


# --- issue 9, item 5: an efficiency reviewer reaches no record through the command line -------

@pytest.fixture(scope="module")
def reviewer_env(env: dict[str, str], owner_env: dict[str, str],
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        reviewer = add_efficiency_reviewer(engine)
    finally:
        engine.dispose()
    enroll(env, reviewer)
    owner = data_owner(env)
    assert run(env, "access", "approve", reviewer, "--by", owner, "--legal-basis", BASIS,
               "--expires-on", in_days(60), "--purpose", "statistics", "--purpose",
               "compliance_audit")[0] == 0
    assert run(env, "access", "attest-training", reviewer, "--by", reviewer, "--valid-until",
               in_days(300))[0] == 0
    return _login(env, reviewer, tmp_path_factory.mktemp("reviewer") / "session")


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory, court_folder: Path) -> Path:
    folder = tmp_path_factory.mktemp("leak")
    return write_incident_replica(court_folder, folder, rows=5,
                                  among=person_ids(court_folder)).csv_path


@pytest.mark.parametrize("command", sorted(PERSONAL_DATA))
def test_no_command_gives_an_efficiency_reviewer_a_record(
        reviewer_env: dict[str, str], command: str, leak: Path, tmp_path: Path) -> None:
    args = [a.replace("{tmp}", str(tmp_path)).replace("{leak}", str(leak))
            for a in PERSONAL_DATA[command]]
    denies = ledger_count(reviewer_env, "result = 'deny'")
    permits = ledger_count(reviewer_env, "result = 'permit' AND action NOT IN ('login', 'mfa')")
    code, out = run(reviewer_env, *args)
    assert code == 2 and "error:" in out, out
    assert ledger_count(reviewer_env, "result = 'deny'") > denies
    assert ledger_count(reviewer_env,
                        "result = 'permit' AND action NOT IN ('login', 'mfa')") == permits
    assert list(tmp_path.iterdir()) == []
