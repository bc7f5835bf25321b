"""Explanations and detectors, each written once as SQL that DuckDB and Spark SQL both run.

The SQL keeps to the subset the two share: joins, ``GROUP BY``, ``UNION ALL``,
``LAG`` over a window, ``GREATEST``, ``ABS``, ``NULLIF``, ``STDDEV_POP``; times are
integers (``ts`` seconds, ``day`` and ``hour`` since 1970) prepared beforehand, so no
date function of either dialect appears. Every division is by ``NULLIF(x, 0)``
(Spark's ANSI mode refuses a division by zero).

Tables the rules read (see ``docs/dev/watch.md``): ``events`` (prepared access
events), ``staff``, ``staff_contacts``, ``person_keys``, ``person_contacts``,
``cases``, ``assignments``, ``hearings``, ``representations``, ``relatives``,
``documents``, ``supervisors``, ``watchlist``, ``role_purposes``.

* A **view** is materialised once and read by later rules.
* An **explanation** yields ``seq, explanation``: why an access (by its row number) was
  legitimate. Integer keys keep the joins over millions of accesses cheap.
* A **detector** yields ``user_id, person_id, event_id, ts, metric, note``: one hit each;
  hits are grouped into one alert per detector and user (``_alerts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["view", "explanation", "detector"]

DAY: Final = 86_400
HEARING_WINDOW_DAYS: Final = 14
ASSIGNMENT_LEAD_DAYS: Final = 7
"""An access up to a week before an assignment starts is explained by it (the case was
being routed); this is also what explains a break-glass access later."""
ASSIGNMENT_TAIL_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class Rule:
    """One named relational rule; ``meaning`` is what its finding says in plain words."""

    name: str
    kind: Kind
    sql: str
    meaning: str
    severity: float = 0.5
    """A detector's base score (0-1) for a single hit; more hits raise it."""
    keep: bool = True
    """A view is computed once and kept; a plain filter is cheaper left as a query."""


_ACCESSES = Rule("accesses", "view", """
SELECT e.event_id, e.seq, e.ts, e.day, e.hour, e.user_id, e.person_id, e.case_id, e.action,
       e.purpose, e.just_tok, e.just_class, e.record_count
FROM events e
WHERE e.person_id IS NOT NULL AND e.result = 'permit'
""", "Permitted accesses that name a person: what explanations must account for.", keep=False)

_ACCESS_CASES = Rule("access_cases", "view", """
SELECT a.seq, a.user_id, a.ts, a.day, a.person_id, c.case_id, c.court_code
FROM accesses a
JOIN cases c ON c.person_id = a.person_id
WHERE a.case_id IS NULL OR a.case_id = c.case_id
""", "Each access paired with the case (or, without a case id, every case) of its person.")

_CONTACT_MATCHES = Rule("contact_matches", "view", """
SELECT DISTINCT sc.user_id, pc.person_id, sc.kind
FROM staff_contacts sc
JOIN person_contacts pc ON pc.kind = sc.kind AND pc.tok = sc.tok
""", "Staff members and persons who share a contact token (address, near address, phone, "
     "e-mail).")

_STAFF_PERSONS = Rule("staff_persons", "view", """
SELECT DISTINCT s.user_id, pk.person_id
FROM staff s
JOIN person_keys pk ON pk.name_tok = s.name_tok
JOIN contact_matches m ON m.user_id = s.user_id AND m.person_id = pk.person_id
WHERE m.kind IN ('address', 'phone', 'email')
""", "Persons who are staff members themselves: same full name and a shared contact.")

_CASE_LINKS = Rule("case_links", "view", """
SELECT user_id, case_id FROM assignments
UNION ALL SELECT attorney_id AS user_id, case_id FROM representations
UNION ALL SELECT judge_user_id AS user_id, case_id FROM hearings
""", "Cases a user works directly (assigned, attorney of record, on their calendar).")

VIEWS: Final = (_ACCESSES, _ACCESS_CASES, _CONTACT_MATCHES, _STAFF_PERSONS, _CASE_LINKS)

DIRECT_EXPLANATIONS: Final = (
    Rule("assigned", "explanation", f"""
SELECT ac.seq, 'assigned' AS explanation
FROM access_cases ac
JOIN assignments s ON s.user_id = ac.user_id AND s.case_id = ac.case_id
WHERE ac.day >= s.start_day - {ASSIGNMENT_LEAD_DAYS}
  AND ac.day <= s.end_day + {ASSIGNMENT_TAIL_DAYS}
""", "The user is assigned to the case (judge, clerk, DHS counsel, interpreter)."),
    Rule("court_clerk", "explanation", """
SELECT ac.seq, 'court_clerk' AS explanation
FROM access_cases ac
JOIN staff st ON st.user_id = ac.user_id
WHERE st.role = 'clerk' AND st.office_code = ac.court_code
""", "The user is a clerk of the court that holds the case."),
    Rule("hearing_calendar", "explanation", f"""
SELECT ac.seq, 'hearing_calendar' AS explanation
FROM access_cases ac
JOIN hearings h ON h.case_id = ac.case_id AND h.judge_user_id = ac.user_id
WHERE ABS(h.ts - ac.ts) <= {HEARING_WINDOW_DAYS * DAY}
""", f"The case had a hearing on the user's calendar within {HEARING_WINDOW_DAYS} days."),
    Rule("attorney_of_record", "explanation", f"""
SELECT ac.seq, 'attorney_of_record' AS explanation
FROM access_cases ac
JOIN representations r ON r.case_id = ac.case_id AND r.attorney_id = ac.user_id
WHERE ac.day >= r.start_day - {ASSIGNMENT_LEAD_DAYS}
  AND ac.day <= r.end_day + {ASSIGNMENT_TAIL_DAYS}
""", "The user is (or was about to be) attorney of record on the case."),
    Rule("dhs_counsel_court", "explanation", """
SELECT ac.seq, 'dhs_counsel_court' AS explanation
FROM access_cases ac
JOIN staff st ON st.user_id = ac.user_id
WHERE st.role = 'dhs_counsel' AND st.office_code = ac.court_code
""", "The user is DHS counsel at the court that holds the case."),
    Rule("document_queue", "explanation", """
SELECT ac.seq, 'document_queue' AS explanation
FROM access_cases ac
JOIN documents d ON d.case_id = ac.case_id AND d.filed_by = ac.user_id
WHERE ac.day >= d.day - 1 AND ac.day <= d.day + 14
""", "A document on the case was filed to or by the user within the last two weeks."),
)

INDIRECT_EXPLANATIONS: Final = (
    Rule("related_case", "explanation", """
SELECT ac.seq, 'related_case' AS explanation
FROM remaining_cases ac
JOIN relatives rel ON rel.person_id = ac.person_id
JOIN cases c2 ON c2.person_id = rel.relative_id
JOIN case_links l ON l.user_id = ac.user_id AND l.case_id = c2.case_id
UNION ALL
SELECT ac.seq, 'related_case' AS explanation
FROM remaining_cases ac
JOIN cases rider ON rider.lead_case_id = ac.case_id
JOIN case_links l ON l.user_id = ac.user_id AND l.case_id = rider.case_id
UNION ALL
SELECT ac.seq, 'related_case' AS explanation
FROM remaining_cases ac
JOIN cases own ON own.case_id = ac.case_id
JOIN case_links l ON l.user_id = ac.user_id AND l.case_id = own.lead_case_id
""", "The user works a related case: a relative's case, or a rider of (or lead to) this case."),
    Rule("supervisor", "explanation", """
SELECT a.seq, 'supervisor' AS explanation
FROM remaining a
JOIN supervisors sv ON sv.supervisor_id = a.user_id
JOIN accesses b ON b.user_id = sv.user_id AND b.person_id = a.person_id
JOIN explained_direct x ON x.seq = b.seq
WHERE ABS(b.day - a.day) <= 7
""", "The user supervises someone whose access to the same person that week is explained."),
)
"""Rules that build on direct explanations; they look only at accesses no direct rule
explained (``remaining``), which keeps them cheap: most accesses are explained directly."""

_EXPLAINED_DIRECT = Rule("explained_direct", "view", "\nUNION ALL\n".join(
    r.sql for r in DIRECT_EXPLANATIONS), "Accesses explained by a direct rule (an access may "
                                         "appear once per rule and case that explains it).")

_REMAINING = Rule("remaining", "view", """
SELECT a.* FROM accesses a
WHERE NOT EXISTS (SELECT 1 FROM explained_direct x WHERE x.seq = a.seq)
""", "Accesses no direct rule explains.", keep=False)

_REMAINING_CASES = Rule("remaining_cases", "view", """
SELECT ac.* FROM access_cases ac
WHERE NOT EXISTS (SELECT 1 FROM explained_direct x WHERE x.seq = ac.seq)
""", "The case pairs of accesses no direct rule explains.")

_EXPLAINED_INDIRECT = Rule("explained_indirect", "view", "\nUNION ALL\n".join(
    r.sql for r in INDIRECT_EXPLANATIONS), "Remaining accesses an indirect rule explains.")

_UNEXPLAINED = Rule("unexplained", "view", """
SELECT r.* FROM remaining r
WHERE NOT EXISTS (SELECT 1 FROM explained_indirect x WHERE x.seq = r.seq)
""", "Accesses no explanation accounts for: what detectors and reviewers look at.")

_USER_HOURS = Rule("user_hours", "view", """
SELECT a.user_id, a.hour, COUNT(DISTINCT a.person_id) AS persons
FROM accesses a GROUP BY a.user_id, a.hour
""", "Distinct persons each user opened in each hour they worked.")

_WALKS = Rule("walks", "view", """
SELECT a.user_id, a.hour, a.event_id, a.person_id, a.ts,
       pk.a_rank - LAG(pk.a_rank) OVER (PARTITION BY a.user_id, a.hour
                                        ORDER BY pk.a_rank, a.seq) AS a_gap,
       pk.name_rank - LAG(pk.name_rank) OVER (PARTITION BY a.user_id, a.hour
                                              ORDER BY pk.name_rank, a.seq) AS name_gap,
       a.ts - LAG(a.ts) OVER (PARTITION BY a.user_id, a.hour
                              ORDER BY pk.name_rank, a.seq) AS name_time_step
FROM accesses a
JOIN user_hours h ON h.user_id = a.user_id AND h.hour = a.hour AND h.persons > 10
JOIN person_keys pk ON pk.person_id = a.person_id
""", "In busy hours (more than ten persons), each access beside its neighbour in A-number "
     "order and in name order among the hour's accesses: how far apart they are, and "
     "whether the later name was opened later. Other work in between does not hide a walk.")

_USER_SHARES = Rule("user_shares", "view", """
SELECT a.user_id, a.n, CAST(COALESCE(u.n, 0) AS DOUBLE) / a.n AS share
FROM (SELECT user_id, COUNT(*) AS n FROM accesses GROUP BY user_id) a
LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM unexplained GROUP BY user_id) u
  ON u.user_id = a.user_id
""", "Each user's accesses and the share of them no explanation accounts for.")

LATE_VIEWS: Final = (_EXPLAINED_DIRECT, _REMAINING, _REMAINING_CASES, _EXPLAINED_INDIRECT,
                     _UNEXPLAINED, _USER_HOURS, _WALKS, _USER_SHARES)

_HIT = "user_id, person_id, event_id, ts, CAST({metric} AS DOUBLE) AS metric, {note} AS note"


def _hit(metric: str = "1", note: str = "''") -> str:
    return _HIT.format(metric=metric, note=note)


DETECTORS: Final = (
    Rule("self_lookup", "detector", f"""
SELECT {_hit(note="MIN(m.kind)")} FROM (
  SELECT a.user_id, a.person_id, a.event_id, a.ts, m.kind
  FROM accesses a
  JOIN staff s ON s.user_id = a.user_id
  JOIN person_keys pk ON pk.person_id = a.person_id AND pk.name_tok = s.name_tok
  JOIN contact_matches m ON m.user_id = a.user_id AND m.person_id = a.person_id
  WHERE m.kind IN ('address', 'phone', 'email')
) m GROUP BY user_id, person_id, event_id, ts
""", "The user opened their own record (same name and a shared contact).", 0.9),
    Rule("family", "detector", f"""
SELECT {_hit(note="MIN(g.via)")} FROM (
SELECT f.user_id, f.person_id, f.event_id, f.ts, f.via FROM (
  SELECT a.user_id, a.person_id, a.event_id, a.ts, CONCAT('surname and ', m.kind) AS via
  FROM accesses a
  JOIN contact_matches m ON m.user_id = a.user_id AND m.person_id = a.person_id
  JOIN staff s ON s.user_id = a.user_id
  JOIN person_keys pk ON pk.person_id = a.person_id AND pk.surname_tok = s.surname_tok
  WHERE m.kind IN ('address', 'phone', 'email')
  UNION ALL
  SELECT a.user_id, a.person_id, a.event_id, a.ts, 'home address' AS via
  FROM unexplained a
  JOIN contact_matches m ON m.user_id = a.user_id AND m.person_id = a.person_id
  WHERE m.kind = 'address'
  UNION ALL
  SELECT a.user_id, a.person_id, a.event_id, a.ts, CONCAT('relative ', m.kind) AS via
  FROM accesses a
  JOIN relatives rel ON rel.person_id = a.person_id
  JOIN contact_matches m ON m.user_id = a.user_id AND m.person_id = rel.relative_id
  JOIN staff s ON s.user_id = a.user_id
  JOIN person_keys pk ON pk.person_id = rel.relative_id AND pk.surname_tok = s.surname_tok
  WHERE m.kind IN ('address', 'phone', 'email')
) f
LEFT JOIN staff_persons me ON me.user_id = f.user_id AND me.person_id = f.person_id
WHERE me.user_id IS NULL
) g GROUP BY user_id, person_id, event_id, ts
""", "The person shares the user's surname and a current or past address, phone or e-mail "
     "(or, unexplained, the exact home address), or a relative with the user's surname does: "
     "family or a former partner.", 0.85),
    Rule("coworker", "detector", f"""
SELECT {_hit()} FROM (
  SELECT DISTINCT u.user_id, u.person_id, u.event_id, u.ts FROM unexplained u
  JOIN staff_persons sp ON sp.person_id = u.person_id AND sp.user_id <> u.user_id
  UNION
  SELECT DISTINCT u.user_id, u.person_id, u.event_id, u.ts FROM unexplained u
  JOIN relatives rel ON rel.person_id = u.person_id
  JOIN staff_persons sp ON sp.person_id = rel.relative_id AND sp.user_id <> u.user_id
) c
""", "An unexplained access to a person who is, or is a relative of, a staff member.", 0.7),
    Rule("neighbour", "detector", f"""
SELECT {_hit()} FROM (
  SELECT DISTINCT u.user_id, u.person_id, u.event_id, u.ts FROM unexplained u
  JOIN contact_matches m ON m.user_id = u.user_id AND m.person_id = u.person_id
  WHERE m.kind = 'near'
) n
""", "An unexplained access to a person living at (nearly) the user's address.", 0.7),
    Rule("high_profile", "detector", f"""
SELECT {_hit()} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts FROM unexplained u
  JOIN watchlist w ON w.person_id = u.person_id
) h
""", "An unexplained access to a record on the high-profile watch list.", 0.6),
    Rule("bulk_access", "detector", f"""
SELECT {_hit(metric="b.persons")} FROM (
  SELECT a.user_id, a.person_id, a.event_id, a.ts, h.persons
  FROM user_hours h
  JOIN (SELECT user_id, SUM(persons) AS total, COUNT(*) AS hours FROM user_hours
        GROUP BY user_id) mine ON mine.user_id = h.user_id
  JOIN staff s ON s.user_id = h.user_id
  JOIN (SELECT s2.role, SUM(h2.persons) AS total, COUNT(*) AS hours FROM user_hours h2
        JOIN staff s2 ON s2.user_id = h2.user_id GROUP BY s2.role) r ON r.role = s.role
  JOIN accesses a ON a.user_id = h.user_id AND a.hour = h.hour
  WHERE h.persons >= GREATEST(40,
          4 * COALESCE(CAST(mine.total - h.persons AS DOUBLE) / NULLIF(mine.hours - 1, 0), 0),
          4 * COALESCE(CAST(r.total - mine.total AS DOUBLE) / NULLIF(r.hours - mine.hours, 0),
                       0))
) b
""", "Far more distinct persons in one hour than in the user's other hours and in the usual "
     "hour of others of the role (four times either, and 40 at least).", 0.6),
    Rule("sequential_a_numbers", "detector", f"""
SELECT {_hit(metric="s.steps")} FROM (
  SELECT w.user_id, w.person_id, w.event_id, w.ts, g.steps
  FROM walks w
  JOIN (SELECT user_id, hour, COUNT(*) AS steps FROM walks WHERE a_gap = 1
        GROUP BY user_id, hour) g ON g.user_id = w.user_id AND g.hour = w.hour
  WHERE w.a_gap = 1 AND g.steps >= 10
) s
""", "Ten or more records with consecutive A-numbers opened in one hour: enumeration.", 0.75),
    Rule("alphabetical_walk", "detector", f"""
SELECT {_hit(metric="s.ups")} FROM (
  SELECT w.user_id, w.person_id, w.event_id, w.ts, g.ups
  FROM walks w
  CROSS JOIN (SELECT GREATEST(20, COUNT(*) / 100) AS span FROM person_keys) z
  JOIN (SELECT k.user_id, k.hour, COUNT(*) AS close,
               SUM(CASE WHEN k.name_time_step > 0 THEN 1 ELSE 0 END) AS ups
        FROM walks k
        CROSS JOIN (SELECT GREATEST(20, COUNT(*) / 100) AS span FROM person_keys) z2
        WHERE k.name_gap > 0 AND k.name_gap <= z2.span
        GROUP BY k.user_id, k.hour) g ON g.user_id = w.user_id AND g.hour = w.hour
  WHERE w.name_gap > 0 AND w.name_gap <= z.span AND w.name_time_step > 0
    AND g.ups >= 20 AND g.ups >= 0.9 * g.close
) s
""", "Twenty or more records close together in name order (within 1% of all records) opened "
     "in one hour, nearly all in alphabetical order: a walk through the index.", 0.7),
    Rule("large_export", "detector", f"""
SELECT {_hit(metric="x.record_count")} FROM (
  SELECT a.user_id, a.person_id, a.event_id, a.ts, a.record_count
  FROM events a
  JOIN staff s ON s.user_id = a.user_id
  JOIN (SELECT s2.role, SUM(e2.record_count) AS total, COUNT(*) AS n FROM events e2
        JOIN staff s2 ON s2.user_id = e2.user_id
        WHERE e2.action = 'export' GROUP BY s2.role) r ON r.role = s.role
  WHERE a.action = 'export' AND a.result = 'permit'
    AND a.record_count >= GREATEST(1000, COALESCE(
          10 * CAST(r.total - a.record_count AS DOUBLE) / NULLIF(r.n - 1, 0), 0))
) x
""", "An export of far more records than others of the role usually export (1,000 at least).", 0.7),
    Rule("repeat_snooping", "detector", f"""
SELECT {_hit(metric="r.n")} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts, g.n
  FROM unexplained u
  JOIN (SELECT user_id, person_id, COUNT(*) AS n, COUNT(DISTINCT day) AS days
        FROM unexplained GROUP BY user_id, person_id) g
    ON g.user_id = u.user_id AND g.person_id = u.person_id
  LEFT JOIN (SELECT DISTINCT user_id, person_id FROM accesses WHERE action = 'update') w
    ON w.user_id = u.user_id AND w.person_id = u.person_id
  WHERE g.n >= 4 AND g.days >= 3 AND w.user_id IS NULL
) r
""", "The same person opened again and again on different days, unexplained, with no case "
     "work by the user.", 0.65),
    Rule("credential_sharing", "detector", f"""
SELECT {_hit(metric="c.devices")} FROM (
  SELECT e.user_id, e.person_id, e.event_id, e.ts, g.devices
  FROM events e
  JOIN (SELECT s.user_id, FLOOR(s.ts / 600) AS slot, COUNT(DISTINCT s.device_id) AS devices,
               COUNT(DISTINCT s.ip_tok) AS nets
        FROM events s
        JOIN (SELECT user_id FROM events WHERE device_id IS NOT NULL GROUP BY user_id
              HAVING COUNT(DISTINCT device_id) >= 2 AND COUNT(DISTINCT ip_tok) >= 2) many
          ON many.user_id = s.user_id
        WHERE s.device_id IS NOT NULL GROUP BY s.user_id, FLOOR(s.ts / 600)) g
    ON g.user_id = e.user_id AND g.slot = FLOOR(e.ts / 600)
  WHERE g.devices >= 2 AND g.nets >= 2
) c
""", "One account active from two devices on different networks within ten minutes.", 0.7),
    Rule("unusual_login_time", "detector", f"""
SELECT {_hit(metric="t.share")} FROM (
  SELECT e.user_id, e.person_id, e.event_id, e.ts,
         CAST(h.n AS DOUBLE) / NULLIF(tot.n, 0) AS share
  FROM events e
  JOIN (SELECT user_id, hod, COUNT(*) AS n FROM events WHERE action = 'login'
        GROUP BY user_id, hod) h ON h.user_id = e.user_id AND h.hod = e.hod
  JOIN (SELECT user_id, COUNT(*) AS n FROM events WHERE action = 'login'
        GROUP BY user_id) tot ON tot.user_id = e.user_id
  WHERE e.action = 'login' AND (e.hod < 5 OR e.hod >= 22) AND tot.n >= 10
    AND h.n <= GREATEST(1, 0.05 * tot.n)
) t
""", "Sign-ins in the middle of the night, at hours the account almost never signs in.", 0.5),
    Rule("boilerplate_justification", "detector", f"""
SELECT {_hit(metric="b.persons")} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts, g.persons
  FROM unexplained u
  JOIN (SELECT x.user_id, x.just_tok,
               COUNT(DISTINCT COALESCE(LEAST(f.family, x.person_id), x.person_id)) AS persons
        FROM unexplained x
        LEFT JOIN (SELECT person_id, MIN(relative_id) AS family FROM relatives
                   GROUP BY person_id) f ON f.person_id = x.person_id
        WHERE x.just_tok IS NOT NULL GROUP BY x.user_id, x.just_tok) g
    ON g.user_id = u.user_id AND g.just_tok = u.just_tok
  WHERE g.persons >= 8
) b
""", "One justification text reused word for word for unexplained accesses to eight or more "
     "unrelated persons (relatives count as one).", 0.55),
    Rule("purpose_mismatch", "detector", f"""
SELECT {_hit(note="p.why")} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts,
         CASE WHEN rp.role IS NULL THEN 'purpose not of the role'
              ELSE 'reason does not match purpose' END AS why
  FROM unexplained u
  JOIN staff s ON s.user_id = u.user_id
  LEFT JOIN role_purposes rp ON rp.role = s.role AND rp.purpose = u.purpose
  WHERE u.purpose IS NOT NULL AND u.purpose <> 'emergency'
    AND (rp.role IS NULL OR (u.just_class IS NOT NULL AND u.just_class <> u.purpose))
) p
""", "An unexplained access whose purpose is not one of the role's, or whose stated reason "
     "speaks of another purpose.", 0.5),
    Rule("peer_deviation", "detector", f"""
SELECT {_hit(metric="d.gap")} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts, p.share - p.mean AS gap
  FROM unexplained u
  JOIN (SELECT me.user_id, me.share, me.n,
               (COALESCE(co.s1, cr.s1) - me.share) / (COALESCE(co.n, cr.n) - 1) AS mean
        FROM user_shares me
        JOIN staff s ON s.user_id = me.user_id
        LEFT JOIN (SELECT s2.role, s2.office_code, COUNT(*) AS n, SUM(m2.share) AS s1
                   FROM user_shares m2 JOIN staff s2 ON s2.user_id = m2.user_id
                   GROUP BY s2.role, s2.office_code HAVING COUNT(*) >= 5) co
          ON co.role = s.role AND co.office_code = s.office_code
        LEFT JOIN (SELECT s3.role, COUNT(*) AS n, SUM(m3.share) AS s1
                   FROM user_shares m3 JOIN staff s3 ON s3.user_id = m3.user_id
                   GROUP BY s3.role HAVING COUNT(*) >= 5) cr ON cr.role = s.role
        WHERE me.n >= 50 AND COALESCE(co.n, cr.n) IS NOT NULL) p ON p.user_id = u.user_id
  WHERE p.share >= p.mean + 0.05 AND p.share * p.n >= 10
    AND p.share - p.mean >= 3 * SQRT(p.mean * (1 - p.mean) / p.n)
) d
""", "A user far more of whose accesses are unexplained than their peers' (the others of the "
     "same role and court; of the same role when the court has fewer than five): at least "
     "five points more, ten accesses at least, and beyond chance for that many accesses.", 0.5),
    Rule("break_glass_unexplained", "detector", f"""
SELECT {_hit()} FROM (
  SELECT u.user_id, u.person_id, u.event_id, u.ts FROM unexplained u
  WHERE u.action = 'break_glass'
) g
""", "Emergency access that no later assignment, hearing or filing explains.", 0.6),
)

DETECTOR_NAMES: Final = tuple(rule.name for rule in DETECTORS)
EXPLANATION_NAMES: Final = tuple(r.name for r in (*DIRECT_EXPLANATIONS, *INDIRECT_EXPLANATIONS))


def rule_named(name: str) -> Rule:
    for rule in (*VIEWS, *DIRECT_EXPLANATIONS, *INDIRECT_EXPLANATIONS, *LATE_VIEWS, *DETECTORS):
        if rule.name == name:
            return rule
    msg = f"no watch rule is named {name!r}"
    raise KeyError(msg)
