"""The guard (layer 3): the one door to personal data. See DESIGN.md, issue "The guard".

Public surface so far: relationships derived from the records
(``relationships_to_case``, ``relationships_to_person``) and the policy decision
point (``PolicyEngine`` deciding an ``AccessRequest`` into a ``Decision``), with
``AccessDenied`` for refusals. Sessions, accounts, redaction, search and
break-glass windows build on these.
"""

from casevault.access.accounts import Accounts, Enrollment, ReviewItem
from casevault.access.policy import (
    ALL_CATEGORIES,
    DEFAULT_POLICY_DIR,
    AccessAction,
    AccessRequest,
    AccountState,
    Decision,
    PolicyEngine,
    Principal,
    RecordKind,
)
from casevault.access.relationships import (
    Relationship,
    relationships_to_case,
    relationships_to_person,
)
from casevault.access.search import (
    RESULT_CAP,
    CappedResults,
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
from casevault.access.sessions import Login, Sessions
from casevault.errors import AccessDenied

__all__ = [
    "ALL_CATEGORIES", "DEFAULT_POLICY_DIR", "RESULT_CAP", "AccessAction", "AccessDenied",
    "AccessRequest", "AccountState", "Accounts", "CappedResults", "Decision", "Enrollment",
    "EnumerationGuard", "EnumerationLimits", "Justification", "Login", "PersonQuery",
    "PolicyEngine", "Principal", "RateLimit", "RateLimiter", "ReasonHistory", "RecordKind",
    "Relationship", "ReviewItem", "Sessions", "cap_results", "check_justification", "parse_query",
    "protected_terms", "relationships_to_case", "relationships_to_person",
]
