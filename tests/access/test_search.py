"""Search limits: justifications, query shapes, enumeration, rate limits, result caps.

The reviewed statement of the rules is ``tests/vectors/search_limits.json``
(accepted rows as well as refusals, each refusal with its rule id); the units
must agree with every row. The property tests go beyond the table: any reason
citing a case is accepted, any wildcard is refused, no limiter ever admits more
than its limit in any window, the indexed enumeration guard agrees with a model
that rescans every remembered search, and no refusal repeats what the user typed.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from casevault.access.search import (
    DEFAULT_RATE_LIMITS,
    MAX_JUSTIFICATION_CHARS,
    NARROW_YOUR_QUERY,
    RESULT_CAP,
    WHAT_COUNTS,
    WILDCARDS,
    EnumerationGuard,
    EnumerationLimits,
    Justification,
    PersonQuery,
    RateLimit,
    RateLimiter,
    ReasonHistory,
    cap_results,
    check_justification,
    parse_query,
    protected_terms,
)
from casevault.domain.names import fold
from casevault.errors import AccessDenied, InvalidValue, JustificationRefused, SearchRefused

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "search_limits.json")
                     .read_text(encoding="utf-8"))
START = datetime.fromisoformat(VECTORS["start"])


class FakeClock:
    """A clock the test moves by hand: ``at(seconds)`` after the vectors' start."""

    def __init__(self) -> None:
        self.now = START

    def at(self, seconds: float) -> None:
        self.now = START + timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self.now


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def _refusal(call: Callable[[], object]) -> AccessDenied | None:
    try:
        call()
    except AccessDenied as refusal:
        return refusal
    return None


def _assert_outcome(refusal: AccessDenied | None, step: dict[str, Any]) -> None:
    if step["expected"] == "accept":
        assert refusal is None, f"refused by {refusal.policy_ids if refusal else ''}"
    else:
        assert refusal is not None, "accepted, expected a refusal"
        assert refusal.policy_ids == (step["rule"],)
        if "retry" in step:
            assert f"try again after {step['retry']}" in str(refusal)


def test_the_vectors_cover_every_rule_with_accepted_rows_too() -> None:
    assert VECTORS["version"] == "cv-search-limit-vectors/1"
    justification_rules = {row.get("rule") for row in VECTORS["justifications"]}
    assert {f"search.justification.{rule}" for rule in
            ("missing", "too_long", "boilerplate", "thin", "repetitive")} <= justification_rules
    query_rules = {row.get("rule") for row in VECTORS["queries"]}
    assert {f"search.query.{rule}" for rule in ("empty", "wildcard", "too_short", "no_letters",
                                                "no_family_name")} <= query_rules
    steps = [step for scenario in VECTORS["enumeration"] for step in scenario["steps"]]
    assert {step.get("rule") for step in steps} >= {
        f"search.enumeration.{rule}" for rule in
        ("a_number_range", "a_number_stride", "alphabet_walk", "birth_date_sweep")}
    for table in (VECTORS["justifications"], VECTORS["queries"], steps):
        assert sum(row["expected"] == "accept" for row in table) >= 10


# --- justifications -------------------------------------------------------------------------

def _justification_text(row: dict[str, Any]) -> str | None:
    if "text_repeat" in row:
        piece, times = row["text_repeat"]
        return str(piece) * int(times)
    text: str | None = row["text"]
    return text


def _check(row: dict[str, Any]) -> Justification:
    text = _justification_text(row)
    if "boilerplate" in row:
        return check_justification(text, boilerplate=row["boilerplate"])
    return check_justification(text)


@pytest.mark.parametrize("row", VECTORS["justifications"], ids=_names(VECTORS["justifications"]))
def test_justification_table(row: dict[str, Any]) -> None:
    refusal = _refusal(lambda: _check(row))
    _assert_outcome(refusal, row)
    if refusal is None:
        accepted = _check(row)
        assert accepted.references == tuple(row["references"])
        assert accepted.text == row.get("tidy", " ".join((row["text"] or "").split()))
    else:
        assert isinstance(refusal, JustificationRefused)
        assert WHAT_COUNTS in str(refusal), "a refusal says what counts"
        text = _justification_text(row) or ""
        if len(text.strip()) >= 6:
            assert text.strip() not in str(refusal).replace(WHAT_COUNTS, "")


CASE_IDS = st.one_of(st.from_regex(r"C[0-9]{7}", fullmatch=True),
                     st.from_regex(r"EOIR-C[0-9]{1,12}", fullmatch=True))
FREE_TEXT = st.text(st.characters(codec="utf-8"), max_size=200)


@given(prefix=FREE_TEXT, case_id=CASE_IDS, suffix=FREE_TEXT, lower=st.booleans())
def test_any_justification_citing_a_case_is_accepted(prefix: str, case_id: str, suffix: str,
                                                     lower: bool) -> None:
    written = case_id.lower() if lower else case_id
    accepted = check_justification(f"{prefix} {written} {suffix}")
    assert case_id in accepted.references


@given(st.lists(st.sampled_from(sorted(
    {"official", "business", "work", "related", "case", "review", "checking", "routine",
     "the", "for", "of", "and", "records", "purposes", "test", "lookup", "needed", "n/a"})),
    max_size=20))
def test_generic_words_alone_are_always_refused(words: list[str]) -> None:
    with pytest.raises(JustificationRefused):
        check_justification(" ".join(words))


@given(st.text(st.characters(codec="utf-8"), min_size=MAX_JUSTIFICATION_CHARS + 1,
               max_size=MAX_JUSTIFICATION_CHARS + 50).filter(
                   lambda text: len(" ".join(text.split())) > MAX_JUSTIFICATION_CHARS))
def test_overlong_justifications_are_refused_even_with_a_reference(text: str) -> None:
    with pytest.raises(JustificationRefused) as refused:
        check_justification("C0000001 " + text)
    assert refused.value.policy_ids == ("search.justification.too_long",)


def test_custom_boilerplate_may_be_any_collection() -> None:
    reason = "pursuant to standard operating procedure number seven"
    assert check_justification(reason).references == ()
    for phrases in ([reason], (reason.upper(),), {reason}, frozenset({reason + "."})):
        with pytest.raises(JustificationRefused):
            check_justification(reason, boilerplate=phrases)


# --- reason history ---------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", VECTORS["reason_history"],
                         ids=_names(VECTORS["reason_history"]))
def test_reason_history_scenarios(scenario: dict[str, Any]) -> None:
    clock = FakeClock()
    history = ReasonHistory(limit=scenario["limit"],
                            window=timedelta(seconds=scenario["window_seconds"]), clock=clock)
    for step in scenario["steps"]:
        clock.at(step["at"])
        justification = check_justification(step["text"])
        refusal = _refusal(lambda j=justification, s=step: history.admit(s["user"], j))
        _assert_outcome(refusal, step)
        if refusal is not None:
            assert step["text"] not in str(refusal)


def test_reason_history_keeps_a_bounded_number_of_reasons_per_user() -> None:
    clock = FakeClock()
    history = ReasonHistory(limit=1, clock=clock, reasons_per_user=2)
    first = check_justification("interpreter asked about continuance motion")
    history.admit("U1", first)
    for reason in ("respondent changed address after hearing",
                   "attorney filed substitution counsel notice"):
        history.admit("U1", check_justification(reason))
    history.admit("U1", first)  # forgotten as least recently used, so counted afresh
    with pytest.raises(JustificationRefused):
        history.admit("U1", first)


# --- queries ----------------------------------------------------------------------------------

def _expected_query(fields: dict[str, Any]) -> PersonQuery:
    born = fields.get("born_on")
    return PersonQuery(family_name=fields.get("family_name"), given_name=fields.get("given_name"),
                       born_on=date.fromisoformat(born) if born else None,
                       a_number=fields.get("a_number"))


@pytest.mark.parametrize("row", VECTORS["queries"], ids=_names(VECTORS["queries"]))
def test_query_table(row: dict[str, Any]) -> None:
    if row["expected"] == "invalid":
        with pytest.raises(InvalidValue) as invalid:
            parse_query(**row["terms"])
        for term in row["terms"].values():
            assert term not in str(invalid.value)
        return
    refusal = _refusal(lambda: parse_query(**row["terms"]))
    _assert_outcome(refusal, row)
    if refusal is None:
        query = parse_query(**row["terms"])
        assert query == _expected_query(row["query"])
        assert protected_terms(query) == row["protected_terms"]
    else:
        assert isinstance(refusal, SearchRefused)
        for term in row["terms"].values():
            if len(term.strip()) >= 2:
                assert term.strip() not in str(refusal)


FIELDS = ("family_name", "given_name", "born_on", "a_number")
WILDCARD_ONLY = st.text(st.sampled_from([*sorted(WILDCARDS), " "]), min_size=1, max_size=20
                        ).filter(lambda text: text.strip() != "")


@given(field=st.sampled_from(FIELDS), term=WILDCARD_ONLY)
def test_wildcard_only_terms_are_always_refused(field: str, term: str) -> None:
    others = {"family_name": "Testerly", "a_number": "A200000101"}
    others.pop(field, None)
    with pytest.raises(SearchRefused) as refused:
        parse_query(**{**others, field: term})
    assert refused.value.policy_ids == ("search.query.wildcard",)


@given(name=st.text(st.characters(codec="utf-8"), max_size=40), wildcard=st.sampled_from(
    sorted(WILDCARDS)), where=st.integers(min_value=0, max_value=40))
def test_any_wildcard_anywhere_in_a_name_is_refused(name: str, wildcard: str, where: int) -> None:
    term = name[:where] + wildcard + name[where:]
    with pytest.raises(SearchRefused):
        parse_query(family_name=term, given_name="Testa")


def _fake_names() -> list[tuple[str, str]]:
    fake = Faker(["en_US", "es_MX", "pt_BR", "fr_FR", "de_DE", "vi_VN"])
    fake.seed_instance(46)
    return [(fake.last_name(), fake.first_name()) for _ in range(200)]


@given(st.sampled_from(_fake_names()), st.dates(min_value=date(1920, 1, 1),
                                                max_value=date(2024, 12, 31)))
def test_synthetic_full_names_are_accepted_and_their_terms_are_stable(
        name: tuple[str, str], born: date) -> None:
    family, given_name = name
    query = parse_query(family_name=family, given_name=given_name, born_on=born.isoformat())
    assert query == parse_query(family_name=family.upper(), given_name=f" {given_name} ",
                                born_on=born)
    assert query.name_key == f"{fold(family)} {fold(given_name)}"
    assert protected_terms(query) == protected_terms(parse_query(
        family_name=family.lower(), given_name=given_name, born_on=born))


QUERIES = st.builds(
    PersonQuery,
    family_name=st.none() | st.from_regex(r"[a-z]{2,8}( [a-z]{1,6})?", fullmatch=True),
    given_name=st.none() | st.from_regex(r"[a-z]{1,8}( [a-z]{1,6})?", fullmatch=True),
    born_on=st.none() | st.dates(),
    a_number=st.none() | st.from_regex(r"A[0-9]{9}", fullmatch=True),
)


@given(QUERIES, QUERIES)
def test_protected_terms_tell_distinct_queries_apart(first: PersonQuery,
                                                     second: PersonQuery) -> None:
    assert (protected_terms(first) == protected_terms(second)) == (first == second)


# --- enumeration ------------------------------------------------------------------------------

def _limits(overrides: dict[str, Any] | None) -> EnumerationLimits:
    if not overrides:
        return EnumerationLimits()
    fields = {key: value for key, value in overrides.items() if key != "window_seconds"}
    if "window_seconds" in overrides:
        fields["window"] = timedelta(seconds=overrides["window_seconds"])
    return EnumerationLimits(**fields)


@pytest.mark.parametrize("scenario", VECTORS["enumeration"], ids=_names(VECTORS["enumeration"]))
def test_enumeration_scenarios(scenario: dict[str, Any]) -> None:
    clock = FakeClock()
    guard = EnumerationGuard(_limits(scenario.get("limits")), clock=clock)
    for step in scenario["steps"]:
        clock.at(step["at"])
        query = parse_query(**step["terms"])
        refusal = _refusal(lambda q=query, s=step: guard.admit(s["user"], q))
        _assert_outcome(refusal, step)
        if refusal is not None:
            assert isinstance(refusal, SearchRefused)
            for term in step["terms"].values():
                assert len(term) < 3 or term.casefold() not in str(refusal).casefold()


@settings(max_examples=200)
@given(start=st.integers(min_value=200_000_000, max_value=249_000_000),
       step=st.integers(min_value=-333, max_value=333).filter(lambda step: step != 0))
def test_sequential_a_numbers_are_always_refused_at_the_run(start: int, step: int) -> None:
    clock = FakeClock()
    guard = EnumerationGuard(clock=clock)
    run = EnumerationLimits().a_number_run
    for index in range(run - 1):
        clock.at(index)
        guard.admit("U1", parse_query(a_number=f"A{start + index * step:09d}"))
    with pytest.raises(SearchRefused):
        guard.admit("U1", parse_query(a_number=f"A{start + (run - 1) * step:09d}"))


@settings(max_examples=100)
@given(prefix=st.from_regex(r"[a-y]{1,5}", fullmatch=True),
       first=st.sampled_from("abcdefghijklmnopqrstuvwx"))
def test_alphabet_walks_are_always_refused_at_the_third_name(prefix: str, first: str) -> None:
    guard = EnumerationGuard(clock=FakeClock())
    letters = [chr(ord(first) + offset) for offset in range(3)]
    for letter in letters[:2]:
        guard.admit("U1", parse_query(family_name=prefix + letter, given_name="Testa"))
    with pytest.raises(SearchRefused):
        guard.admit("U1", parse_query(family_name=prefix + letters[2], given_name="Testa"))


class _Model:
    """The enumeration rules written the slow, obvious way: rescan the remembered searches."""

    def __init__(self, limits: EnumerationLimits) -> None:
        self.limits = limits
        self.seen: list[tuple[float, int | None, str | None, int | None]] = []

    def admit(self, at: float, query: PersonQuery) -> str | None:
        window = self.limits.window.total_seconds()
        self.seen = [entry for entry in self.seen if entry[0] > at - window]
        self.seen = self.seen[max(0, len(self.seen) - (self.limits.history - 1)):]
        entry = (at, int(query.a_number[1:]) if query.a_number else None, query.name_key,
                 query.born_on.toordinal() if query.born_on else None)
        rule = self._rule(*entry[1:])
        self.seen.append(entry)
        return rule

    def _rule(self, number: int | None, name: str | None, born: int | None) -> str | None:
        limits = self.limits
        numbers = [entry[1] for entry in self.seen if entry[1] is not None]
        if number is not None:
            if _model_crowded(numbers, number, limits.a_number_band, limits.a_number_run):
                return "a_number_range"
            latest: list[int] = []
            for value in [number, *reversed(numbers)]:
                if value not in latest:
                    latest.append(value)
            latest = latest[: limits.a_number_run]
            if len(latest) == limits.a_number_run and len(
                    {b - a for a, b in itertools.pairwise(latest)}) == 1:
                return "a_number_stride"
        if name is not None and self._walks(name):
            return "alphabet_walk"
        if born is not None:
            dates = [entry[3] for entry in self.seen if entry[3] is not None]
            same = {entry[3] for entry in self.seen if entry[3] is not None and entry[2] == name}
            if _model_crowded(dates, born, limits.date_band_days, limits.date_run) or (
                    name is not None and len(same | {born}) >= limits.date_run):
                return "birth_date_sweep"
        return None

    def _walks(self, name: str) -> bool:
        for position in range(len(name)):
            letters = {ord(name[position])}
            for entry in self.seen:
                other = entry[2]
                if other is not None and len(other) == len(name) and all(
                        a == b for i, (a, b) in enumerate(zip(other, name, strict=True))
                        if i != position):
                    letters.add(ord(other[position]))
            low = high = ord(name[position])
            while low - 1 in letters:
                low -= 1
            while high + 1 in letters:
                high += 1
            if high - low + 1 >= self.limits.walk_run:
                return True
        return False


def _model_crowded(values: list[int], new: int, band: int, run: int) -> bool:
    distinct = set(values) | {new}
    return any(low <= new <= low + band and sum(low <= v <= low + band for v in distinct) >= run
               for low in distinct)


STRIDE = 40
SMALL_STEPS = st.tuples(
    st.integers(min_value=0, max_value=30),
    st.none() | st.integers(min_value=0, max_value=20) | st.just("next"),
    st.none() | st.tuples(st.from_regex(r"[a-d]{2}", fullmatch=True),
                          st.from_regex(r"[a-c]", fullmatch=True)),
    st.none() | st.integers(min_value=0, max_value=25),
)
"""(gap, A-number, name, birth date) over small domains, so that every rule fires often:
A-numbers near each other, or ``next`` on a walk ``STRIDE`` apart (wider than the test's
band of 10); two-letter names over four letters; birth dates within a month."""


def _small_query(number: int | None, name: tuple[str, str] | None,
                 born: int | None) -> PersonQuery:
    return parse_query(
        a_number=f"A{200_000_000 + number:09d}" if number is not None else None,
        family_name=name[0] if name else ("Testerly" if number is None else None),
        given_name=name[1] if name else None,
        born_on=date(1990, 1, 1) + timedelta(days=born) if born is not None else None)


@settings(max_examples=300)
@given(st.lists(SMALL_STEPS, max_size=40), st.integers(min_value=4, max_value=10))
def test_the_indexed_guard_agrees_with_a_rescanning_model(
        steps: list[tuple[int, int | str | None, tuple[str, str] | None, int | None]],
        history: int) -> None:
    limits = EnumerationLimits(window=timedelta(seconds=120), a_number_band=10,
                               date_band_days=10, history=history)
    clock, model = FakeClock(), _Model(limits)
    guard = EnumerationGuard(limits, clock=clock)
    now, walked = 0, itertools.count(100, STRIDE)
    for gap, number, name, born in steps:
        now += gap
        clock.at(now)
        query = _small_query(next(walked) if number == "next" else
                             number if isinstance(number, int) else None, name, born)
        refusal = _refusal(lambda q=query: guard.admit("U1", q))
        rule = model.admit(clock.now.timestamp(), query)
        assert (refusal.policy_ids if refusal else ()) == (
            (f"search.enumeration.{rule}",) if rule else ())


def test_history_is_bounded_per_user() -> None:
    clock = FakeClock()
    guard = EnumerationGuard(EnumerationLimits(history=8), clock=clock)
    for index in range(3):
        guard.admit("U1", parse_query(a_number=f"A20000010{index}"))
    for index in range(8):  # pushes the three nearby numbers out of the bounded history
        guard.admit("U1", parse_query(family_name=f"Testerly{'x' * index}"))
    guard.admit("U1", parse_query(a_number="A200000103"))


def test_enumeration_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="runs"):
        EnumerationLimits(a_number_run=1)
    with pytest.raises(ValueError, match="window"):
        EnumerationLimits(window=timedelta(0))


def test_idle_users_are_forgotten() -> None:
    """Per-user state does not grow with every user who ever searched (the bound is the point)."""
    clock = FakeClock()
    guard = EnumerationGuard(clock=clock)
    limiter = RateLimiter([RateLimit("hour", 5, timedelta(hours=1))], clock=clock)
    history = ReasonHistory(window=timedelta(hours=1), clock=clock)
    reason = check_justification("interpreter asked about continuance motion")
    for index in range(1_100):
        clock.at(index * 10)
        guard.admit(f"U{index}", parse_query(a_number="A200000101"))
        limiter.admit(f"U{index}")
        history.admit(f"U{index}", reason)
    for users in (guard._trails, limiter._users, history._users):
        assert len(users) < 1_100


# --- rate limits ------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", VECTORS["rate_limits"], ids=_names(VECTORS["rate_limits"]))
def test_rate_limit_scenarios(scenario: dict[str, Any]) -> None:
    clock = FakeClock()
    limiter = RateLimiter([RateLimit(name, count, timedelta(seconds=seconds))
                           for name, count, seconds in scenario["limits"]], clock=clock)
    for step in scenario["steps"]:
        clock.at(step["at"])
        _assert_outcome(_refusal(lambda s=step: limiter.admit(s["user"])), step)


def test_default_rate_limits_are_thirty_a_minute_and_three_hundred_a_day() -> None:
    assert [(limit.searches, limit.per) for limit in DEFAULT_RATE_LIMITS] == [
        (30, timedelta(minutes=1)), (300, timedelta(days=1))]
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(30):
        limiter.admit("U1")
    with pytest.raises(SearchRefused, match="at most 30 searches per minute"):
        limiter.admit("U1")


@settings(max_examples=100)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=120))
def test_no_window_ever_holds_more_than_the_limit(gaps: list[int]) -> None:
    clock = FakeClock()
    limits = [RateLimit("minute", 5, timedelta(seconds=60)),
              RateLimit("quarter", 12, timedelta(seconds=900))]
    limiter = RateLimiter(limits, clock=clock)
    admitted: list[int] = []
    now = 0
    for gap in gaps:
        now += gap
        clock.at(now)
        if _refusal(lambda: limiter.admit("U1")) is None:
            admitted.append(now)
    for limit in limits:
        span = int(limit.per.total_seconds())
        for start in admitted:
            assert sum(start <= t < start + span for t in admitted) <= limit.searches


def test_rate_limits_must_exist_and_be_positive() -> None:
    for limits in ([], [RateLimit("minute", 0, timedelta(minutes=1))],
                   [RateLimit("minute", 3, timedelta(0))]):
        with pytest.raises(ValueError, match="rate limit"):
            RateLimiter(limits)


def test_clocks_must_be_aware() -> None:
    limiter = RateLimiter(clock=lambda: datetime(2025, 3, 4, 9, 0))  # noqa: DTZ001 -- the point
    with pytest.raises(ValueError, match="timezone-aware"):
        limiter.admit("U1")


def test_rate_limiter_is_exact_under_threads() -> None:
    clock = FakeClock()
    limiter = RateLimiter([RateLimit("minute", 100, timedelta(minutes=1))], clock=clock)
    admitted: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(50):
            ok = _refusal(lambda: limiter.admit("U1")) is None
            with lock:
                admitted.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 100
    assert len(admitted) == 400


def test_enumeration_guard_is_consistent_under_threads() -> None:
    guard = EnumerationGuard(clock=FakeClock())
    refused: list[int] = []

    def search(offset: int) -> None:
        for index in range(offset, 40, 4):
            if _refusal(lambda i=index: guard.admit("U1", parse_query(
                    a_number=f"A{200_000_100 + i:09d}"))) is not None:
                refused.append(index)

    threads = [threading.Thread(target=search, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 40 - (EnumerationLimits().a_number_run - 1)


# --- result caps ------------------------------------------------------------------------------

@pytest.mark.parametrize("row", VECTORS["caps"], ids=_names(VECTORS["caps"]))
def test_cap_table(row: dict[str, Any]) -> None:
    ids = [f"P{index:07d}" for index in range(row["count"])]
    capped = cap_results(ids, row["cap"])
    assert capped.ids == tuple(ids[: row["kept"]])
    assert capped.truncated is row["truncated"]
    assert capped.message == (NARROW_YOUR_QUERY if row["truncated"] else None)


def test_cap_reads_at_most_one_more_than_the_cap() -> None:
    taken: list[int] = []

    def ids() -> Iterator[str]:
        for index in range(10_000):
            taken.append(index)
            yield f"P{index:07d}"

    capped = cap_results(ids())
    assert len(capped.ids) == RESULT_CAP
    assert capped.truncated
    assert len(taken) == RESULT_CAP + 1
    assert "narrow your query" in NARROW_YOUR_QUERY


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cap"):
        cap_results([], 0)
