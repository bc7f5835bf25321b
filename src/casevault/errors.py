"""The one exception tree of casevault.

Every message is written for the person who has to act on it and never contains
personal data: errors name files, rows, columns and opaque ids, never the values
of a person's fields. Callers catch families (``InputError``, ``StorageError``)
rather than individual classes.
"""

from __future__ import annotations


class CasevaultError(Exception):
    """Base of every error casevault raises on purpose."""


class ConfigError(CasevaultError):
    """The installation is misconfigured (database URL, key file, settings)."""


class StorageError(CasevaultError):
    """The database could not do what was asked."""


class DatabaseUnavailable(StorageError):
    """The database could not be reached or opened."""


class SchemaOutOfDate(StorageError):
    """The database schema is older than this release; run ``casevault init``."""


class NotFound(CasevaultError):
    """A record named by id does not exist."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} with id {record_id!r}")
        self.kind = kind
        self.record_id = record_id


class InputError(CasevaultError):
    """Input supplied by a user or another system is unusable; nothing was changed."""


class InvalidValue(InputError):
    """A single value does not have the required form (for example an A-number)."""


class InterchangeError(InputError):
    """A problem in an interchange folder, located by file, line and column.

    ``line`` is the line number in the file as a text editor shows it (the header
    is line 1), or the row number for Parquet files (first data row is 1).
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        where = file
        if line is not None:
            where += f" line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem


class FormatVersionError(InputError):
    """A stored format carries a version marker this release cannot read."""


class InterchangeProblems(InputError):
    """Several problems found in one interchange folder; nothing was imported.

    The importer keeps checking after the first problem (up to a limit) so that
    a user can fix a file in one go; ``problems`` lists them in file order.
    """

    def __init__(self, problems: list[InterchangeError], *, truncated: bool) -> None:
        first = str(problems[0])
        more = len(problems) - 1
        suffix = ""
        if more:
            suffix = f" (and {more} more problem{'s' if more > 1 else ''}"
            suffix += ", possibly others after them)" if truncated else ")"
        super().__init__(f"{first}{suffix}; nothing was imported")
        self.problems = problems
        self.truncated = truncated


class LedgerError(CasevaultError):
    """The audit ledger could not do what was asked."""


class LedgerUnavailable(LedgerError):
    """The ledger could not be written; the access that needed it is refused (fail closed)."""


class LedgerTampered(LedgerError):
    """The ledger does not verify: an event, hash or checkpoint was changed, added or removed.

    ``first_bad_index`` is the first leaf index found inconsistent, when known.
    """

    def __init__(self, message: str, *, first_bad_index: int | None = None) -> None:
        super().__init__(message)
        self.first_bad_index = first_bad_index


class ProofInvalid(LedgerError):
    """An inclusion or consistency proof, or a signature, does not verify."""


class AccessDenied(CasevaultError):
    """A policy refused the request; the message says why and what to do, with no personal data.

    STYLE.md: "you may not" is an exception, never a ``False`` to forget to check.
    ``policy_ids`` names the policies that decided (empty when no policy permitted
    the request: deny by default), for the ledger and for the person reviewing it.
    """

    def __init__(self, reason: str, *, policy_ids: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.policy_ids = policy_ids


class AuthenticationFailed(AccessDenied):
    """Sign-in failed (unknown user, wrong password or code, locked account).

    The message is the same whichever part was wrong, so it tells an attacker
    nothing about which user ids exist; it says what the person can do.
    """


class SessionInvalid(AccessDenied):
    """The session cannot be used: revoked, expired, idle too long, or presented from
    another device. The person must sign in again."""


class JustificationRefused(AccessDenied):
    """A stated justification is empty, too thin or boilerplate; the message says what counts."""


class SearchRefused(AccessDenied):
    """A search was refused: wildcard-only, enumeration pattern, or rate limit exceeded."""


class UnreadableFile(InputError):
    """A file could not be read (corrupt, encrypted, too large, or of a kind we cannot read).

    The message names the file (``archive.zip!member.csv`` for a member of an
    archive) and the reason, never any of its content. A scan that meets this
    error has not seen the whole file, so it must not be treated as clean.
    """

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class UnsupportedFormat(UnreadableFile):
    """The content is of a kind the readers do not extract text from (an image, legacy .xls)."""


class ArchiveRefused(UnreadableFile):
    """An archive exceeded a safety limit (member count, size, ratio, depth): a possible zip bomb.

    The reason names the limit; raise that limit only for a file from a trusted source.
    """


class CaseOnHold(AccessDenied):
    """A removal-related outcome was refused because the case is on a breach hold
    ("disclosure under review"). A privacy officer clears the hold, case by case, with a
    reason (`casevault breach clear-hold CASE --reason ...`); the message names ids only."""

    def __init__(self, case_id: str, hold_ids: tuple[str, ...]) -> None:
        super().__init__(
            f"case {case_id} is on hold (disclosure under review; hold "
            f"{', '.join(hold_ids)}): a removal-related outcome cannot be recorded until a "
            f"privacy officer clears the hold with `casevault breach clear-hold {case_id}`",
            policy_ids=("breach-case-hold",))
        self.case_id = case_id
        self.hold_ids = hold_ids
class DisclosureRefused(AccessDenied):
    """A disclosure to an outside party or analyst falls outside its data-sharing agreement
    (purpose, category, volume, frequency, dates) or lacks a recorded consent; the message
    names the limit, never a person."""


class BudgetExhausted(DisclosureRefused):
    """A differentially private query would spend more privacy loss than the analyst's or the
    agreement's budget has left; ask a data owner, or ask a cheaper query (smaller epsilon)."""
class KeyUnavailable(StorageError):
    """A data key cannot be used: its key-encryption key is not configured, or a wrapped key
    or ciphertext does not open for its record (moved, altered). Nothing is returned."""


class PersonErased(NotFound):
    """The person was erased (crypto-shredded): their encrypted fields no longer exist anywhere.

    The message names the person and erasure ids only; the ids, cases and ledger remain.
    """

    def __init__(self, person_id: str, erasure_id: str | None = None) -> None:
        super().__init__("person", person_id)
        suffix = f" (erasure {erasure_id})" if erasure_id else ""
        self.args = (f"person {person_id!r} was erased{suffix}: their personal fields "
                     "were destroyed and cannot be read",)
        self.erasure_id = erasure_id
