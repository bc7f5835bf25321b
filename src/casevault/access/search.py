"""Search limits: what a person search must pass before the guard runs it (issue 4, item 6).

Both abuses DESIGN.md starts from (staff looking up people they know, outsiders
handed an account that "searches everything") begin at a search box. These
units make a search say why (``check_justification``, ``ReasonHistory``), ask
for a person rather than a pattern (``parse_query``), and refuse what only
enumeration needs (``EnumerationGuard``, ``RateLimiter``, ``cap_results``: no
page two). The guard calls them, writes every search, refused or not, to the
ledger with ``protected_terms`` under a keyed hash, and only then reads the store.

Everything here is computation on small per-user windows kept in memory: no
I/O, microseconds per call, a clock parameter wherever time matters, and a lock
where state is shared between threads. A refusal raises ``JustificationRefused``
or ``SearchRefused``; its ``policy_ids`` holds the rule that refused (for
example ``search.enumeration.a_number_range``) and its message says what to do
instead. No message repeats a search term or a justification: both may be
personal data. The rules, for the people who will meet them, are in
``docs/dev/search-limits.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict, deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final, NamedTuple, TypeVar

from casevault.audit.ledger import Clock, utc_now
from casevault.domain.anumber import normalize_a_number
from casevault.domain.names import fold
from casevault.errors import InvalidValue, JustificationRefused, SearchRefused

_K = TypeVar("_K")
_SWEEP_EVERY: Final = 1_024
"""Admissions between sweeps that forget users with nothing left in their window."""


def _seconds(at: datetime) -> float:
    """Seconds since the epoch: windows are kept as floats, which are cheap to compare."""
    if at.tzinfo is None:
        msg = "clocks must return timezone-aware instants"
        raise ValueError(msg)
    return at.timestamp()


def _instant(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _forget_before(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()


# ---------------------------------------------------------------------------
# Justifications

MAX_JUSTIFICATION_CHARS: Final = 1_000
MIN_CONTENT_WORDS: Final = 4
"""Distinct words of real content a justification without a reference needs."""

WHAT_COUNTS: Final = (
    "Cite the case (C and seven digits, or EOIR-C and its number) or a ticket "
    "(INC-1234, TICKET-1234, #1234), or say in at least 4 words of your own why "
    "this search is needed; generic phrases such as 'official business' do not count."
)

DEFAULT_BOILERPLATE: Final[frozenset[str]] = frozenset({
    "official business", "official use", "official purposes", "official duties",
    "work related", "work", "business", "for work", "my job", "job", "duty",
    "case review", "review", "checking", "check", "just checking", "routine check",
    "n/a", "na", "none", "nothing", "test", "testing", "as needed", "needed",
    "lookup", "search", "inquiry", "general inquiry", "verify", "verification",
    "per policy", "per supervisor", "supervisor request", "legitimate purpose",
    "legitimate business need", "need to know", "authorized", "investigation",
    "reviewing record for official business purposes",
    "in the course of my official duties",
    "performing my assigned duties",
})
"""Phrases that are refused as the whole justification (compared after ``fold``).

Deployments pass their own list (for example the template text of a legacy
system) through ``check_justification(..., boilerplate=...)``.
"""


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


_STOP_WORDS: Final = _word_set(
    "the and for with this that from about into onto per are was were has have had been",
    "being will would should could can may might must shall not but all any some each",
    "our his her hers him she they them their theirs its you your yours who whom whose",
    "what which when where why how than then there here also just only very too out off",
    "over under again once upon via etc yes",
    "para por los las del una uno con que como sobre este esta",
)
"""Function words (English, and a few Spanish) that carry no reason of their own."""

_FILLER_WORDS: Final = _word_set(
    "official officially business work working related review reviewing reviewed check",
    "checking checked case cases record records file files info information data access",
    "accessing purpose purposes routine general needed need needs required requirement",
    "request requested task duty duties job test testing tests lookup look looking search",
    "searching query inquiry verify verifying verification legitimate authorized valid",
    "reason reasons policy supervisor assigned perform performing course",
    "lorem ipsum dolor amet consectetur adipiscing elit asdf qwer qwerty zxcv hjkl foo bar",
    "baz blah xxx xyz abc",
)
"""Words that appear in every generic reason and so do not count as content.

They are not forbidden: "review the bond motion before tomorrow's hearing" is
fine because "bond", "motion", "tomorrow" and "hearing" carry it.
"""

_REFERENCE: Final = re.compile(
    r"(?<![A-Za-z0-9#\-])"
    r"(?:EOIR-C[0-9]{1,12}|C[0-9]{7}"                # case ids: EOIR release, synthetic court
    r"|(?:INC|TICKET|TKT|REQ)-?[0-9]{3,12}|#[0-9]{3,7})"  # tickets (#: short, never an A-number)
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_CONTENT_WORD: Final = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True, slots=True)
class Justification:
    """An accepted reason for a search: the text (whitespace tidied) and what it cites.

    ``references`` holds the case ids and ticket references found in the text,
    upper-cased, in order of first appearance. Only their shape is checked here;
    the guard may check that a cited case exists and concerns the user, and watch
    can flag references that never lead anywhere.
    """

    text: str
    references: tuple[str, ...] = ()


def _justification_refused(rule: str, problem: str) -> JustificationRefused:
    return JustificationRefused(f"Justification refused: {problem}. {WHAT_COUNTS}",
                                policy_ids=(f"search.justification.{rule}",))


def _references(text: str) -> tuple[str, ...]:
    """Case ids and ticket references in ``text``, upper-cased, first appearance first."""
    return tuple(dict.fromkeys(match.upper() for match in _REFERENCE.findall(text)))


@lru_cache(maxsize=32)
def _folded_phrases(phrases: frozenset[str]) -> frozenset[str]:
    return frozenset(fold(phrase) for phrase in phrases)


def _content_words(folded: str) -> list[str]:
    """Words of three or more letters that are neither function words nor generic filler."""
    return [word for word in folded.split()
            if _CONTENT_WORD.fullmatch(word) and word not in _STOP_WORDS
            and word not in _FILLER_WORDS and len(set(word)) > 1]


def check_justification(text: str | None, *,
                        boilerplate: Collection[str] = DEFAULT_BOILERPLATE) -> Justification:
    """The accepted justification for ``text``, or ``JustificationRefused`` saying what counts.

    The rule, kept simple so that a person can follow it: a justification that
    cites a case id or a ticket is accepted; any other must not be a known
    boilerplate phrase, must have at least ``MIN_CONTENT_WORDS`` distinct words
    of content (letters only, three or more, not function words or generic
    filler), and must not be mostly the same words again.
    """
    tidy = " ".join((text or "").split())
    if not tidy:
        raise _justification_refused("missing", "a search needs a justification")
    if len(tidy) > MAX_JUSTIFICATION_CHARS:
        raise _justification_refused(
            "too_long", f"a justification is at most {MAX_JUSTIFICATION_CHARS} characters")
    references = _references(tidy)
    if references:
        return Justification(tidy, references)
    folded = fold(tidy)
    if folded in _folded_phrases(frozenset(boilerplate)):
        raise _justification_refused("boilerplate", "it is a generic phrase")
    words = _content_words(folded)
    distinct = len(set(words))
    if distinct < MIN_CONTENT_WORDS:
        raise _justification_refused("thin", "it says too little")
    if 2 * distinct <= len(words):
        raise _justification_refused("repetitive", "it mostly repeats the same words")
    return Justification(tidy)


def _reason_fingerprint(text: str) -> bytes:
    """A digest of a reason's content words, ignoring order, case, punctuation and numbers.

    Kept instead of the text so that the process never holds justifications in
    clear, and so that shuffling words or adding a number does not make a reason new.
    """
    words = " ".join(sorted(set(_content_words(fold(text)))))
    return hashlib.blake2b(words.encode(), digest_size=16).digest()


class ReasonHistory:
    """Refuses a free-text justification that one user has given many times recently.

    A reason copied into search after search ("preparing for upcoming hearing")
    says nothing about any one of them. Each user may give the same free-text
    reason ``limit`` times within ``window`` (compared by content words, see
    ``_reason_fingerprint``); the next use is refused until the oldest leaves the
    window. Justifications that cite a case or ticket are not counted: the
    reference already names the work, and the guard and watch can check it.
    Refused uses are not counted. Per process and thread-safe; each user keeps
    at most ``reasons_per_user`` distinct reasons (least recently used dropped),
    and users with no use left in the window are forgotten.
    """

    def __init__(self, *, limit: int = 10, window: timedelta = timedelta(days=1),
                 clock: Clock = utc_now, reasons_per_user: int = 256) -> None:
        if limit < 1 or window <= timedelta(0) or reasons_per_user < 1:
            msg = "limit and reasons_per_user must be positive, window longer than zero"
            raise ValueError(msg)
        self._limit = limit
        self._window = window.total_seconds()
        self._clock = clock
        self._reasons_per_user = reasons_per_user
        self._lock = threading.Lock()
        self._users: dict[str, OrderedDict[bytes, deque[float]]] = {}
        self._admitted = 0

    def admit(self, user_id: str, justification: Justification) -> None:
        """Count this use of ``justification`` by ``user_id``, or refuse it as copied."""
        if justification.references:
            return
        fingerprint = _reason_fingerprint(justification.text)
        now = _seconds(self._clock())
        with self._lock:
            self._admitted += 1
            if self._admitted % _SWEEP_EVERY == 0:
                self._sweep(now)
            reasons = self._users.setdefault(user_id, OrderedDict())
            uses = reasons.get(fingerprint)
            if uses is None:
                uses = reasons[fingerprint] = deque()
                if len(reasons) > self._reasons_per_user:
                    reasons.popitem(last=False)
            reasons.move_to_end(fingerprint)
            _forget_before(uses, now - self._window)
            if len(uses) >= self._limit:
                retry = _instant(uses[0] + self._window)
                raise _justification_refused(
                    "copied", f"the same reason was already given for {self._limit} "
                    f"searches; it may be used again after {retry}")
            uses.append(now)

    def _sweep(self, now: float) -> None:
        cutoff = now - self._window
        for user_id in [user for user, reasons in self._users.items()
                        if all(not uses or uses[-1] <= cutoff for uses in reasons.values())]:
            del self._users[user_id]


# ---------------------------------------------------------------------------
# Queries

WILDCARDS: Final = frozenset("*%_?~^$[]{}|\\")
"""Characters of pattern syntax (SQL, glob, regular expressions); never part of a name or number."""
MIN_FAMILY_LETTERS: Final = 2
MAX_TERM_CHARS: Final = 100
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TERMS_VERSION: Final = "cv-search-terms/1"


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """A person search in normal form: names folded (``names.fold``), A-number canonical.

    Build it with ``parse_query``, which applies the rules; the guard searches
    only with what ``parse_query`` returned.
    """

    family_name: str | None = None
    given_name: str | None = None
    born_on: date | None = None
    a_number: str | None = None

    @property
    def name_key(self) -> str | None:
        """The store's name index key (``family given``), or None for a search without a name.

        The same as ``names.name_key`` of the parts, which are already folded.
        """
        return " ".join(part for part in (self.family_name, self.given_name) if part) or None


def _query_refused(rule: str, problem: str) -> SearchRefused:
    return SearchRefused(f"Search refused: {problem}.", policy_ids=(f"search.query.{rule}",))


def _present(term: str | None) -> str | None:
    """The term stripped, or None when absent or blank; refuses pattern syntax and excess."""
    if term is None or not term.strip():
        return None
    if len(term) > MAX_TERM_CHARS:
        msg = f"a search term is at most {MAX_TERM_CHARS} characters"
        raise InvalidValue(msg)
    if not WILDCARDS.isdisjoint(term):
        raise _query_refused("wildcard", "wildcards and patterns are not supported; "
                             "search for one person by full family name, or by A-number")
    return term.strip()


def _birth_date(born_on: date | str | None) -> date | None:
    if isinstance(born_on, datetime):
        return born_on.date()
    if born_on is None or isinstance(born_on, date):
        return born_on
    text = _present(born_on)
    if text is None:
        return None
    if not _ISO_DATE.fullmatch(text):
        msg = "not a date of birth (expected YYYY-MM-DD)"
        raise InvalidValue(msg)
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = "not a date of birth (expected a real calendar date, YYYY-MM-DD)"
        raise InvalidValue(msg) from None


def _folded_name(term: str | None) -> str | None:
    text = _present(term)
    if text is None:
        return None
    folded = fold(text)
    if not any("a" <= ch <= "z" for ch in folded):
        raise _query_refused("no_letters", "a name must contain letters (write it in the "
                             "Latin alphabet, as on the record)")
    return folded


def _check_shape(query: PersonQuery) -> None:
    """Refuses the shapes that cannot name one person: empty, no family name, too short."""
    if query.a_number is not None:
        return
    if query.family_name is None:
        if query.given_name is None and query.born_on is None:
            raise _query_refused("empty", "give a family name or an A-number")
        raise _query_refused("no_family_name", "a search by given name or date of birth "
                             "also needs the family name (or search by A-number)")
    letters = sum(1 for ch in query.family_name if "a" <= ch <= "z")
    if letters < MIN_FAMILY_LETTERS and query.given_name is None and query.born_on is None:
        raise _query_refused("too_short", "a one-letter family name also needs the given "
                             "name or the date of birth")


def parse_query(*, family_name: str | None = None, given_name: str | None = None,
                born_on: date | str | None = None, a_number: str | None = None) -> PersonQuery:
    """The normal form of a person search, or ``SearchRefused`` for a shape that is refused.

    Refused: any wildcard or pattern character in any term; a query with no
    term; given name or date of birth without a family name (a birth date alone
    matches hundreds of people and is the lever of date sweeps); a family name
    with no letters; a one-letter family name alone. An A-number alone is
    enough. Blank terms count as absent. A malformed A-number or date, or a term
    over ``MAX_TERM_CHARS``, is ``InvalidValue`` (input to fix, not a refusal).
    """
    number = _present(a_number)
    query = PersonQuery(
        family_name=_folded_name(family_name),
        given_name=_folded_name(given_name),
        born_on=_birth_date(born_on),
        a_number=normalize_a_number(number) if number is not None else None,
    )
    _check_shape(query)
    return query


def protected_terms(query: PersonQuery) -> str:
    """The query's terms as one canonical, versioned string, for the caller to key-hash.

    Equal queries give equal strings, so an investigator who knows a person's
    details can ask whether anyone searched for them (``audit.setup.query_hmac``
    of the same string) without the ledger ever holding the terms in clear.
    ``|`` cannot occur in a folded name, so the layout is unambiguous.
    """
    born = query.born_on.isoformat() if query.born_on else ""
    return (f"{TERMS_VERSION}|a={query.a_number or ''}|f={query.family_name or ''}"
            f"|g={query.given_name or ''}|b={born}")


# ---------------------------------------------------------------------------
# Results

RESULT_CAP: Final = 25
NARROW_YOUR_QUERY: Final = (
    "More people match than can be shown: narrow your query (add the given name, the "
    "date of birth or the A-number). Results are never paged."
)


@dataclass(frozen=True, slots=True)
class CappedResults:
    """At most the cap of result ids, and whether more matched (then: narrow the query)."""

    ids: tuple[str, ...]
    truncated: bool

    @property
    def message(self) -> str | None:
        return NARROW_YOUR_QUERY if self.truncated else None


def cap_results(ids: Iterable[str], cap: int = RESULT_CAP) -> CappedResults:
    """The first ``cap`` ids; ``truncated`` when there was at least one more.

    Ask the store for ``cap + 1`` rows so that truncation is known; at most that
    many are read from ``ids``. There is no page token: the only way to see
    other matches is a narrower query, which is itself a search with its own
    justification and ledger event.
    """
    if cap < 1:
        msg = "cap must be at least 1"
        raise ValueError(msg)
    taken = tuple(itertools.islice(ids, cap + 1))
    return CappedResults(taken[:cap], len(taken) > cap)


# ---------------------------------------------------------------------------
# Enumeration


@dataclass(frozen=True, slots=True)
class EnumerationLimits:
    """The thresholds of ``EnumerationGuard``; the defaults are documented in docs/dev.

    ``a_number_run`` is 4, not 3, because a family's A-numbers are often
    consecutive and a clerk may look up a parent and two children.
    """

    window: timedelta = timedelta(hours=1)
    a_number_run: int = 4
    a_number_band: int = 1_000
    walk_run: int = 3
    date_run: int = 4
    date_band_days: int = 31
    history: int = 512

    def __post_init__(self) -> None:
        runs = (self.a_number_run, self.walk_run, self.date_run)
        if min(runs) < 2 or self.window <= timedelta(0) or self.history < max(runs):
            msg = "runs must be at least 2, the window positive, the history at least a run"
            raise ValueError(msg)


class _Seen(NamedTuple):
    serial: int
    at: float
    a_number: int | None
    name: str | None
    born: int | None


def _masks(name: str) -> list[tuple[str, str]]:
    """(name with one position blanked, the character there), for every position."""
    return [(f"{name[:i]}\0{name[i + 1:]}", name[i]) for i in range(len(name))]


def _count(counts: dict[_K, int], key: _K) -> None:
    counts[key] = counts.get(key, 0) + 1


def _uncount(counts: dict[_K, int], key: _K) -> bool:
    """Takes one ``key`` away; True when it was the last."""
    left = counts[key] - 1
    if left:
        counts[key] = left
        return False
    del counts[key]
    return True


class _Tally:
    """A multiset of integers whose distinct values are also kept sorted, for band look-ups."""

    __slots__ = ("counts", "ordered")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.ordered: list[int] = []

    def add(self, value: int) -> None:
        if value not in self.counts:
            insort(self.ordered, value)
        _count(self.counts, value)

    def remove(self, value: int) -> None:
        if _uncount(self.counts, value):
            del self.ordered[bisect_left(self.ordered, value)]

    def crowded(self, new: int, band: int, run: int) -> bool:
        """Whether ``run`` distinct values (``new`` one of them) lie within ``band``."""
        near = self.ordered[bisect_left(self.ordered, new - band):
                            bisect_right(self.ordered, new + band)]
        if new not in self.counts:
            insort(near, new)
        for i, low in enumerate(near):
            if low > new:
                break
            if low + band >= new and bisect_right(near, low + band) - i >= run:
                return True
        return False


class _Trail:
    """One user's remembered searches, indexed so that each check is independent of their number.

    ``seen`` holds the searches oldest first; the indexes are kept in step as
    searches are added and forgotten: A-numbers and birth dates as sorted
    multisets, the most recent distinct A-numbers (most recent first, with the
    serial of their latest search), the birth dates searched under each name, and
    ``variants``: each name with one position blanked, mapped to the characters
    seen there (names that differ in one position share a key).
    """

    __slots__ = ("dates", "dates_by_name", "numbers", "recent_numbers", "seen", "variants")

    def __init__(self) -> None:
        self.seen: deque[_Seen] = deque()
        self.numbers = _Tally()
        self.recent_numbers: list[tuple[int, int]] = []
        self.dates = _Tally()
        self.dates_by_name: dict[str, dict[int, int]] = {}
        self.variants: dict[str, dict[str, int]] = {}

    def add(self, entry: _Seen, masks: list[tuple[str, str]], recent: int) -> None:
        self.seen.append(entry)
        if entry.a_number is not None:
            self.numbers.add(entry.a_number)
            kept = [pair for pair in self.recent_numbers if pair[0] != entry.a_number]
            self.recent_numbers = [(entry.a_number, entry.serial), *kept][:recent]
        if entry.born is not None:
            self.dates.add(entry.born)
            if entry.name is not None:
                _count(self.dates_by_name.setdefault(entry.name, {}), entry.born)
        for mask, char in masks:
            _count(self.variants.setdefault(mask, {}), char)

    def forget(self, cutoff: float, keep: int) -> None:
        """Forgets searches at or before ``cutoff``, and the oldest beyond ``keep``."""
        while self.seen and (self.seen[0].at <= cutoff or len(self.seen) > keep):
            self._drop(self.seen.popleft())

    def _drop(self, entry: _Seen) -> None:
        if entry.a_number is not None:
            self.numbers.remove(entry.a_number)
            if (entry.a_number, entry.serial) in self.recent_numbers:
                self.recent_numbers.remove((entry.a_number, entry.serial))
        if entry.born is not None:
            self.dates.remove(entry.born)
            if entry.name is not None:
                self._drop_date_of(entry.name, entry.born)
        for mask, char in _masks(entry.name or ""):
            if _uncount(self.variants[mask], char) and not self.variants[mask]:
                del self.variants[mask]

    def _drop_date_of(self, name: str, born: int) -> None:
        dates = self.dates_by_name[name]
        if _uncount(dates, born) and not dates:
            del self.dates_by_name[name]

    def strided(self, new: int, run: int) -> bool:
        """Whether ``new`` and the last ``run - 1`` other A-numbers step by one constant."""
        values = [new, *(value for value, _ in self.recent_numbers if value != new)][:run]
        return len(values) == run and len({b - a for a, b in itertools.pairwise(values)}) == 1

    def walks(self, masks: list[tuple[str, str]], run: int) -> bool:
        """Whether a name with these masks makes ``run`` names stepping through the alphabet."""
        for mask, char in masks:
            letters = self.variants.get(mask)
            if letters is None or len(letters) + (char not in letters) < run:
                continue  # too few distinct characters at this position to make a run
            if _run_through({ord(c) for c in letters}, ord(char)) >= run:
                return True
        return False

    def distinct_dates_of(self, name: str, born: int) -> int:
        dates = self.dates_by_name.get(name, {})
        return len(dates) + (born not in dates)


def _run_through(values: Collection[int], new: int) -> int:
    """Length of the run of consecutive integers in ``values`` (with ``new``) through ``new``."""
    low = high = new
    while low - 1 in values:
        low -= 1
    while high + 1 in values:
        high += 1
    return high - low + 1


class EnumerationGuard:
    """Refuses searches that continue an enumeration pattern, per user, over a sliding window.

    Three kinds of pattern, four rule ids (in the refusal's ``policy_ids``):

    * ``search.enumeration.a_number_range``: ``a_number_run`` distinct
      A-numbers within ``a_number_band`` of each other; and
      ``search.enumeration.a_number_stride``: the last ``a_number_run``
      distinct A-numbers, in the order searched, step by one constant amount
      (a walk with a stride too wide for the band);
    * ``search.enumeration.alphabet_walk``: ``walk_run`` names (family and
      given, folded) that differ in one position only, where they carry
      consecutive letters or digits (``ba``, ``bb``, ``bc``; or ``a``, ``b``,
      ``c`` with the same given name);
    * ``search.enumeration.birth_date_sweep``: ``date_run`` distinct birth
      dates within ``date_band_days`` days, or ``date_run`` distinct birth
      dates searched with the same name.

    Every query is remembered, refused ones too, so that a refused walk stays
    refused while it continues. Per process and thread-safe; memory is bounded
    by ``history`` queries per user, and users idle for a window are forgotten.
    """

    def __init__(self, limits: EnumerationLimits | None = None, *,
                 clock: Clock = utc_now) -> None:
        self._limits = limits or EnumerationLimits()
        self._window = self._limits.window.total_seconds()
        self._clock = clock
        self._lock = threading.Lock()
        self._trails: dict[str, _Trail] = {}
        self._admitted = 0

    def admit(self, user_id: str, query: PersonQuery) -> None:
        """Remember ``query`` for ``user_id`` and refuse it if it continues a pattern."""
        now = _seconds(self._clock())
        name = query.name_key
        masks = _masks(name) if name else []
        with self._lock:
            self._admitted += 1
            if self._admitted % _SWEEP_EVERY == 0:
                self._sweep(now)
            entry = _Seen(self._admitted, now,
                          int(query.a_number[1:]) if query.a_number else None, name,
                          query.born_on.toordinal() if query.born_on else None)
            trail = self._trails.setdefault(user_id, _Trail())
            trail.forget(now - self._window, self._limits.history - 1)
            rule = self._pattern(trail, entry, masks)
            trail.add(entry, masks, self._limits.a_number_run)
        if rule is not None:
            raise SearchRefused(
                f"Search refused: it continues a pattern of searches ({_PATTERN_NAMES[rule]}) "
                "that enumerates records. Search for the people of your own work, for "
                "example from the case record; this refusal is recorded.",
                policy_ids=(f"search.enumeration.{rule}",))

    def _sweep(self, now: float) -> None:
        cutoff = now - self._window
        for user_id in [user for user, trail in self._trails.items()
                        if not trail.seen or trail.seen[-1].at <= cutoff]:
            del self._trails[user_id]

    def _pattern(self, trail: _Trail, entry: _Seen, masks: list[tuple[str, str]]) -> str | None:
        """The rule ``entry`` would break, given the trail before it; None if none."""
        limits = self._limits
        if entry.a_number is not None:
            if trail.numbers.crowded(entry.a_number, limits.a_number_band, limits.a_number_run):
                return "a_number_range"
            if trail.strided(entry.a_number, limits.a_number_run):
                return "a_number_stride"
        if trail.walks(masks, limits.walk_run):
            return "alphabet_walk"
        if entry.born is not None and (
                trail.dates.crowded(entry.born, limits.date_band_days, limits.date_run)
                or (entry.name is not None
                    and trail.distinct_dates_of(entry.name, entry.born) >= limits.date_run)):
            return "birth_date_sweep"
        return None


_PATTERN_NAMES: Final = {
    "a_number_range": "nearby A-numbers",
    "a_number_stride": "A-numbers at a regular step",
    "alphabet_walk": "names stepping through the alphabet",
    "birth_date_sweep": "a sweep of birth dates",
}


# ---------------------------------------------------------------------------
# Rate limits

class RateLimit(NamedTuple):
    """At most ``searches`` searches in any ``per``; ``name`` ends the refusal's rule id."""

    name: str
    searches: int
    per: timedelta


DEFAULT_RATE_LIMITS: Final = (
    RateLimit("minute", 30, timedelta(minutes=1)),
    RateLimit("day", 300, timedelta(days=1)),
)


class RateLimiter:
    """Per-user sliding-window search limits (by default 30 a minute and 300 a day).

    An exact sliding log: each user keeps the instants of their admitted
    searches, at most ``searches`` per limit. A refusal (rule
    ``search.rate.<name>``) says when the next search will be admitted; refused
    attempts are not counted. Per process and thread-safe. An empty set of
    limits is refused at construction: no limit is not a configuration.
    """

    def __init__(self, limits: Sequence[RateLimit] = DEFAULT_RATE_LIMITS, *,
                 clock: Clock = utc_now) -> None:
        if not limits or any(limit.searches < 1 or limit.per <= timedelta(0) for limit in limits):
            msg = "at least one rate limit, each with a positive count and period"
            raise ValueError(msg)
        self._limits = tuple((limit, limit.per.total_seconds()) for limit in limits)
        self._longest = max(seconds for _, seconds in self._limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, tuple[deque[float], ...]] = {}
        self._admitted = 0

    def admit(self, user_id: str) -> None:
        """Count one search by ``user_id``, or refuse it with the time it may be tried again."""
        now = _seconds(self._clock())
        with self._lock:
            self._admitted += 1
            if self._admitted % _SWEEP_EVERY == 0:
                self._sweep(now)
            windows = self._users.get(user_id)
            if windows is None:
                windows = self._users[user_id] = tuple(deque() for _ in self._limits)
            full: list[tuple[float, RateLimit]] = []
            for times, (limit, seconds) in zip(windows, self._limits, strict=True):
                _forget_before(times, now - seconds)
                if len(times) >= limit.searches:
                    full.append((times[0] + seconds, limit))
            if not full:
                for times in windows:
                    times.append(now)
                return
        retry, limit = max(full, key=lambda pair: pair[0])
        raise SearchRefused(
            f"Search refused: at most {limit.searches} searches per {_period(limit.per)}; "
            f"try again after {_instant(retry)}.", policy_ids=(f"search.rate.{limit.name}",))

    def _sweep(self, now: float) -> None:
        cutoff = now - self._longest
        for user_id in [user for user, windows in self._users.items()
                        if all(not times or times[-1] <= cutoff for times in windows)]:
            del self._users[user_id]


def _period(per: timedelta) -> str:
    seconds = int(per.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


__all__ = [
    "DEFAULT_BOILERPLATE", "DEFAULT_RATE_LIMITS", "MAX_JUSTIFICATION_CHARS", "MAX_TERM_CHARS",
    "MIN_CONTENT_WORDS", "MIN_FAMILY_LETTERS", "NARROW_YOUR_QUERY", "RESULT_CAP",
    "TERMS_VERSION", "WHAT_COUNTS", "WILDCARDS", "CappedResults", "EnumerationGuard",
    "EnumerationLimits", "Justification", "PersonQuery", "RateLimit", "RateLimiter",
    "ReasonHistory", "cap_results", "check_justification", "parse_query", "protected_terms",
]
