"""The shortlist of an award round, generated from the period standings of its basis period.

**Basis.** A PeriodSnapshot (competitions.standings.periods) of the round's basis period, of only signed-off
months when the round says so. Only approved points count for an award: candidates are ranked by their
approved points (RANK(): ties share a rank), within their quota group. The round records the snapshot and its
digest, which the list cites.

**Quotas.** ``quota_total``, in one group or split per business system, job type or depot: fixed (AwardQuota
rows, which add up to the total) or in proportion to the group's participants (workers with counted entries in
the snapshot) by the largest-remainder method: each group first gets the whole part of
total × participants / all participants, and the seats left over go one each to the groups with the largest
remainders (equal remainders: the group with more participants, then the lower id), so the parts always add up
to the total (proportional_quotas).

**Eligibility** (each rule optional; "counted" entries are those not rejected, in the basis period):
minimum approved points; at most N deductions (counted entries of rules with direction -1); no open dispute
(申诉) of the worker in this competition (about one of its entries, or a day without an entry in the
competition's dates); at least N active days (distinct work dates with counted entries); not honoured (a final
nominee) in the rounds named; a minimum skill grade (新八级工: the worker's current grade, their latest
certificate's, when the shortlist is generated). A worker who breaks a rule is not shortlisted; everyone excluded
who ranked at or above their group's final line gets an Exclusion row per rule broken, with the figure.

**The line.** The eligible candidates of a group in order of approved points fill its quota. A tie at the last
place is resolved by the round's tie rule: ``include_all`` lets everyone tied in (the list marks them
``over_quota`` when that exceeds the quota); ``stated`` orders the tied by more active days, then fewer
deductions, then the lower employee number (models.TIE_RULE_TEXT says it to staff). The final line of a group
is the approved points of its last shortlisted candidate; when a group cannot fill its quota, the line is no
higher than the approved points of the candidate ranked at the quota (where the ranking alone would have cut).

**Set-based, bounded.** Eligibility is evaluated inside PostgreSQL for a bounded candidate set: the top
(quota + margin) of each group by approved points, ties at the cut included. If a group's line is not settled
(fewer eligible candidates than its quota, and more workers below the cut who could still be eligible), the
margin grows fourfold and the statement runs again; the number of statements does not follow the number of
workers. The candidates' facts (active days, deductions, disputes, earlier honours) are one aggregate over their
own entries, found through the entries' worker index.

**Collective rounds** rank depots or teams as the period engine's unit_rankings does: by the average approved
points per participating worker (the total is shown too), with RANK(); the quota is in one group, or for teams
per parent depot; the only eligibility rule is the minimum number of participants; the stated tie rule orders
the tied by the larger total, then more participants, then the unit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from psycopg import sql

from competitions.honours.models import (
    EXCLUSION_TEXTS,
    AwardRound,
    Exclusion,
    ExclusionRule,
    Nominee,
    NomineeStatus,
    QuotaBy,
    QuotaMode,
    RoundEvent,
    RoundKind,
    RoundStatus,
    TieRule,
    UnitLevelChoice,
)
from competitions.honours.services import RoundRefused, check_move, lock_round, record, require_staff
from competitions.models import BusinessSystem, JobType, PeriodSnapshot, PeriodStanding, ScoringRule, SnapshotStatus
from competitions.standings.periods import compute_period_snapshot, unit_rankings_statement
from config.stored_text import StoredText
from members.models import SkillGrade, Unit, UnitLevel, Worker
from reviews.models import Dispute, DisputeStatus, EntryStatus, WorkEntry

# The first margin of candidates below each group's quota, and how much it grows while a line is unsettled.
FIRST_MARGIN = 20
MARGIN_GROWTH = 4
TEMP = sql.Identifier("honours_judged")


def _table(model) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


def _tables() -> dict[str, sql.Composable]:
    return {"period_standing": _table(PeriodStanding), "entry": _table(WorkEntry), "rule": _table(ScoringRule),
            "dispute": _table(Dispute), "nominee": _table(Nominee), "worker": _table(Worker), "unit": _table(Unit),
            "business_system": _table(BusinessSystem), "job_type": _table(JobType),
            "exclusion": _table(Exclusion)}


def _execute(statement: sql.Composable, params: dict) -> int:
    """Runs one statement through Django's cursor (logged and counted like any query); its row count."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), params)
        return cursor.rowcount


def _fetch(statement: sql.Composable, params: dict) -> list[tuple]:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), params)
        return cursor.fetchall()


# --- Quotas -----------------------------------------------------------------------------------------------

def proportional_quotas(total: int, participants: dict[int, int]) -> dict[int, int]:
    """``total`` seats split in proportion to ``participants`` per group by the largest-remainder method: the
    whole parts first, then one seat each to the largest remainders (equal remainders: more participants,
    then the lower group id). The parts add up to ``total`` (when there is anyone at all)."""
    everyone = sum(participants.values())
    if everyone == 0:
        return dict.fromkeys(participants, 0)
    exact = {group: Fraction(total * n, everyone) for group, n in participants.items()}
    seats = {group: int(share) for group, share in exact.items()}
    left = total - sum(seats.values())
    order = sorted(participants, key=lambda g: (-(exact[g] - seats[g]), -participants[g], g))
    for group in order[:left]:
        seats[group] += 1
    return seats


@dataclass(frozen=True)
class Group:
    """How the round's candidates are grouped: the SQL of a candidate's group key (0 when quotas are not
    grouped), and where the group's name comes from."""

    key: sql.Composable
    name_join: sql.Composable
    name: sql.Composable


def _group(round_: AwardRound) -> Group:
    t = _tables()
    if round_.is_collective:
        if round_.quota_by == QuotaBy.DEPOT:
            return Group(sql.SQL("COALESCE(u.depot_id, 0)"),
                         sql.SQL("LEFT JOIN {} gn ON gn.id = c.group_id").format(t["unit"]),
                         sql.SQL("COALESCE(gn.name, '')"))
        return Group(sql.SQL("0"), sql.SQL(""), sql.SQL("''"))
    column, table = {
        QuotaBy.BUSINESS_SYSTEM: ("business_system_id", t["business_system"]),
        QuotaBy.JOB_TYPE: ("job_type_id", t["job_type"]),
        QuotaBy.DEPOT: ("depot_id", t["unit"]),
    }.get(QuotaBy(round_.quota_by), (None, None))
    if column is None:
        return Group(sql.SQL("0"), sql.SQL(""), sql.SQL("''"))
    return Group(sql.SQL("COALESCE({}, 0)").format(sql.Identifier("ps", column)),
                 sql.SQL("LEFT JOIN {} gn ON gn.id = c.group_id").format(table), sql.SQL("COALESCE(gn.name, '')"))


def _quotas(round_: AwardRound, participants: dict[int, int]) -> dict[int, int]:
    if round_.quota_by == QuotaBy.NONE:
        return {0: round_.quota_total}
    if round_.quota_mode == QuotaMode.FIXED:
        return {q.group_id: q.quota for q in round_.quotas.all()}
    return proportional_quotas(round_.quota_total, participants)


# --- Individual rounds ----------------------------------------------------------------------------------

# Participants (workers with counted entries) and candidates (approved points above zero) per group.
GROUP_SIZES = """
SELECT {group} AS group_id, COUNT(*) AS participants, COUNT(*) FILTER (WHERE ps.approved_points > 0) AS ranked
FROM {period_standing} ps
WHERE ps.snapshot_id = {snapshot}
GROUP BY 1
"""

# The candidates of every group down to its quota plus the margin (ties at the cut included: RANK), judged
# against every eligibility rule, with the place each eligible one takes in the group's order (``pick``).
JUDGE = """
CREATE TEMP TABLE {temp} ON COMMIT DROP AS
WITH quota AS (
    SELECT * FROM unnest(CAST({group_ids} AS bigint[]), CAST({quotas} AS int[])) AS q(group_id, quota)
), ranked AS (
    SELECT ps.worker_id, ps.employee_no, ps.business_system_id, ps.job_type_id, ps.depot_id, ps.team_id,
           ps.points, ps.approved_points, {group} AS group_id,
           RANK() OVER (PARTITION BY {group} ORDER BY ps.approved_points DESC) AS group_rank
    FROM {period_standing} ps
    WHERE ps.snapshot_id = {snapshot} AND ps.approved_points > 0
), candidate AS (
    SELECT r.*, q.quota
    FROM ranked r JOIN quota q ON q.group_id = r.group_id
    WHERE q.quota > 0 AND r.group_rank <= q.quota + {margin}
), open_dispute AS MATERIALIZED (
    SELECT d.worker_id, COUNT(*) AS disputes
    FROM {dispute} d LEFT JOIN {entry} de ON de.id = d.entry_id
    WHERE d.worker_id IN (SELECT worker_id FROM candidate) AND d.status = {dispute_open}
      AND (de.competition_id = {competition}
           OR (d.entry_id IS NULL AND d.work_date BETWEEN {competition_start} AND {competition_end}))
    GROUP BY d.worker_id
), deduction_rules AS MATERIALIZED (
    SELECT COALESCE(array_agg(sr.id), '{{}}') AS ids FROM {rule} sr
    WHERE sr.competition_id = {competition} AND sr.direction = -1
), honoured AS MATERIALIZED (
    SELECT n.worker_id, MIN(n.round_id) AS round_id
    FROM {nominee} n
    WHERE n.round_id = ANY(CAST({excluded_rounds} AS bigint[])) AND n.status = {final}
      AND n.worker_id IN (SELECT worker_id FROM candidate)
    GROUP BY n.worker_id
), judged AS (
    SELECT c.*, COALESCE(a.active_days, 0) AS active_days, COALESCE(a.deductions, 0) AS deductions,
           COALESCE(od.disputes, 0) AS disputes, h.round_id AS honoured_in,
           COALESCE(c.approved_points < CAST({min_points} AS numeric), false) AS fails_min_points,
           COALESCE(COALESCE(a.deductions, 0) > CAST({max_deductions} AS int), false) AS fails_max_deductions,
           (CAST({no_open_dispute} AS boolean) AND od.disputes IS NOT NULL) AS fails_open_dispute,
           COALESCE(COALESCE(a.active_days, 0) < CAST({min_active_days} AS int), false) AS fails_min_active_days,
           (h.worker_id IS NOT NULL) AS fails_already_honoured,
           wk.skill_grade, COALESCE(wk.skill_grade < CAST({min_skill_grade} AS int), false) AS fails_min_skill_grade
    FROM candidate c
    JOIN {worker} wk ON wk.id = c.worker_id
    CROSS JOIN deduction_rules dr
    -- LATERAL: one probe of the entries' worker index per candidate, once. The planner cannot tell how few
    -- the candidates are: it would otherwise hash-join them to every entry of the period, or (with the facts
    -- as a CTE of their own) aggregate every candidate's entries again for each candidate. The deduction
    -- rules come as one array, not a join: joined, a month partition without statistics yet (new, or
    -- written in the same transaction) let the planner probe the entries once per rule instead.
    CROSS JOIN LATERAL (
        SELECT COUNT(DISTINCT e.work_date) AS active_days,
               COUNT(*) FILTER (WHERE e.rule_id = ANY(dr.ids)) AS deductions
        FROM {entry} e
        WHERE e.worker_id = c.worker_id AND e.competition_id = {competition}
          AND e.work_date BETWEEN {start} AND {end} AND e.status <> {rejected}
    ) AS a
    LEFT JOIN open_dispute od ON od.worker_id = c.worker_id
    LEFT JOIN honoured h ON h.worker_id = c.worker_id
), eligible AS (
    SELECT j.*, NOT (fails_min_points OR fails_max_deductions OR fails_open_dispute OR fails_min_active_days
                     OR fails_already_honoured OR fails_min_skill_grade) AS eligible
    FROM judged j
)
SELECT e.*, CASE WHEN e.eligible THEN {pick} END AS pick
FROM eligible e
"""

# The order that fills a group's quota, among its eligible candidates, for each tie rule.
PICK = {
    TieRule.INCLUDE_ALL: "RANK() OVER (PARTITION BY e.group_id, e.eligible ORDER BY e.approved_points DESC)",
    TieRule.STATED: ("ROW_NUMBER() OVER (PARTITION BY e.group_id, e.eligible ORDER BY e.approved_points DESC, "
                     "e.active_days DESC, e.deductions ASC, e.employee_no ASC)"),
}

# Per group: eligible candidates, candidates judged, and the lowest approved points among them.
SETTLED = "SELECT group_id, COUNT(*) FILTER (WHERE eligible), COUNT(*), MIN(approved_points) FROM {temp} GROUP BY 1"

# Each group's final line (see the module's docstring) on the ranking's score, and how many it shortlists.
LINE = """
SELECT group_id, quota,
       LEAST(MIN({score}) FILTER (WHERE eligible AND pick <= quota),
             CASE WHEN COUNT(*) FILTER (WHERE eligible AND pick <= quota) < quota
                  THEN MIN({score}) FILTER (WHERE group_rank <= quota) END) AS line,
       COUNT(*) FILTER (WHERE eligible AND pick <= quota) AS chosen
FROM {temp} GROUP BY group_id, quota
"""

INSERT_NOMINEES = """
WITH line AS ({line})
INSERT INTO {nominee} (round_id, worker_id, name, employee_no, business_system_id, job_type_id, depot_id, team_id,
                       group_id, group_name, rank, points, approved_points, active_days, deductions, over_quota,
                       status, reason, position)
SELECT {round}, c.worker_id, w.name, c.employee_no, c.business_system_id, c.job_type_id, c.depot_id,
       CASE WHEN tu.level = {team_level} THEN c.team_id END,
       {group_id}, {group_name}, c.group_rank, c.points, c.approved_points, c.active_days, c.deductions,
       (l.chosen > l.quota AND c.approved_points = l.line), {shortlisted}, '',
       ROW_NUMBER() OVER (ORDER BY c.group_id, c.pick, c.employee_no)
FROM {temp} c
JOIN line l ON l.group_id = c.group_id
JOIN {worker} w ON w.id = c.worker_id
LEFT JOIN {unit} tu ON tu.id = c.team_id
{name_join}
WHERE c.eligible AND c.pick <= c.quota
"""

# One row per rule broken by each excluded candidate at or above the line, with the figure: worded (``detail``,
# in the portal's language) and as facts (``params``, which Exclusion.text words in the reader's language).
INSERT_EXCLUSIONS = """
WITH line AS ({line})
INSERT INTO {exclusion} (round_id, worker_id, name, employee_no, group_id, group_name, rank, approved_points, rule,
                         detail, params)
SELECT {round}, c.worker_id, w.name, c.employee_no, {group_id}, {group_name}, c.group_rank, c.approved_points,
       f.rule, f.detail, f.params
FROM {temp} c
JOIN line l ON l.group_id = c.group_id
JOIN {worker} w ON w.id = c.worker_id
LEFT JOIN {round_table} hr ON hr.id = c.honoured_in
{name_join}
CROSS JOIN LATERAL (VALUES
    ({r_min_points}, c.fails_min_points, format({t_min_points}, c.approved_points, {min_points}),
     jsonb_build_object('points', CAST(c.approved_points AS text), 'min', CAST(CAST({min_points} AS numeric) AS text))),
    ({r_max_deductions}, c.fails_max_deductions, format({t_max_deductions}, c.deductions, {max_deductions}),
     jsonb_build_object('deductions', c.deductions, 'allowed', CAST({max_deductions} AS int))),
    ({r_open_dispute}, c.fails_open_dispute, format({t_open_dispute}, c.disputes),
     jsonb_build_object('disputes', c.disputes)),
    ({r_min_active_days}, c.fails_min_active_days, format({t_min_active_days}, c.active_days, {min_active_days}),
     jsonb_build_object('days', c.active_days, 'min', CAST({min_active_days} AS int))),
    ({r_already_honoured}, c.fails_already_honoured, format({t_already_honoured}, hr.name),
     jsonb_build_object('round', hr.name)),
    ({r_min_skill_grade}, c.fails_min_skill_grade,
     format({t_min_skill_grade}, (CAST({grade_labels} AS text[]))[c.skill_grade],
            (CAST({grade_labels} AS text[]))[CAST({min_skill_grade} AS int)]),
     jsonb_build_object('grade', c.skill_grade, 'min', CAST({min_skill_grade} AS int)))
) AS f(rule, failed, detail, params)
WHERE f.failed AND NOT c.eligible AND c.approved_points >= l.line
"""


def _rule_texts() -> dict[str, str]:
    """The exclusions' templates (models.EXCLUSION_TEXTS) in the active language, as the statements' values:
    rendered by PostgreSQL's format() (%1$s is the first value after the template, %2$s the second)."""
    return {f"t_{rule.value}": str(text) for rule, text in EXCLUSION_TEXTS.items()}


PARAMS = ("snapshot", "competition", "start", "end", "competition_start", "competition_end", "group_ids", "quotas",
          "margin", "excluded_rounds", "min_points", "max_deductions", "no_open_dispute", "min_active_days",
          "min_participants", "round", "min_skill_grade", "grade_labels", *_rule_texts())
PH = {name: sql.Placeholder(name) for name in PARAMS}
RULES = {f"r_{rule.value}": sql.Literal(rule.value) for rule in ExclusionRule}


def _sql(template: str, **values: sql.Composable) -> sql.Composed:
    return sql.SQL(template).format(**values)


def _params(round_: AwardRound, snapshot: PeriodSnapshot) -> dict:
    competition = round_.competition
    # The stored details are worded in the portal's language, whoever asked for the shortlist.
    with translation.override(settings.LANGUAGE_CODE):
        words = {**_rule_texts(), "grade_labels": [str(label) for label in SkillGrade.labels]}
    return {
        "snapshot": snapshot.pk, "competition": competition.pk, "start": round_.basis_start, "end": round_.basis_end,
        "competition_start": competition.start_date, "competition_end": competition.end_date,
        "excluded_rounds": list(round_.excluded_rounds.values_list("pk", flat=True)),
        "min_points": round_.min_points, "max_deductions": round_.max_deductions,
        "no_open_dispute": round_.no_open_dispute, "min_active_days": round_.min_active_days,
        "min_participants": round_.min_participants, "round": round_.pk,
        # The grades' names (grade_labels) are indexed by grade (PostgreSQL arrays count from 1, as the grades do).
        "min_skill_grade": round_.min_skill_grade, **words,
    }


def _group_id_column(round_: AwardRound) -> sql.Composable:
    return sql.SQL("NULL") if round_.quota_by == QuotaBy.NONE else sql.SQL("NULLIF(c.group_id, 0)")


def _common(round_: AwardRound, group: Group, score: str) -> dict[str, sql.Composable]:
    """What the statements that write nominees and exclusions share: the judged table, each group's line on
    ``score``, the group's id and name."""
    return {"temp": TEMP, "line": _sql(LINE, temp=TEMP, score=sql.Identifier(score)),
            "group_id": _group_id_column(round_), "group_name": group.name, "name_join": group.name_join,
            **_tables(), **PH}


def individual_statements(round_: AwardRound) -> dict[str, sql.Composed]:
    """The statements of an individual round's shortlist, for its grouping and tie rule (the golden files
    under tests/competitions/golden_honours/ hold them rendered)."""
    t = _tables()
    group = _group(round_)
    common = _common(round_, group, "approved_points")
    return {
        "group_sizes": _sql(GROUP_SIZES, group=group.key, **t, **PH),
        "judge": _sql(JUDGE, temp=TEMP, group=group.key, pick=sql.SQL(PICK[TieRule(round_.tie_rule)]),
                      rejected=sql.Literal(EntryStatus.REJECTED.value),
                      dispute_open=sql.Literal(DisputeStatus.OPEN.value), final=sql.Literal(NomineeStatus.FINAL.value),
                      **t, **PH),
        "settled": _sql(SETTLED, temp=TEMP),
        "insert_nominees": _sql(INSERT_NOMINEES, team_level=sql.Literal(UnitLevel.TEAM.value),
                                shortlisted=sql.Literal(NomineeStatus.SHORTLISTED.value), **common),
        "insert_exclusions": _sql(INSERT_EXCLUSIONS, round_table=_table(AwardRound), **RULES, **common),
        "drop": sql.SQL("DROP TABLE {}").format(TEMP),
    }


def _individual(round_: AwardRound, snapshot: PeriodSnapshot) -> tuple[int, int]:
    """Writes the nominees and exclusions of an individual round; returns how many of each."""
    statements = individual_statements(round_)
    params = _params(round_, snapshot)
    sizes = {g: (n, ranked) for g, n, ranked in _fetch(statements["group_sizes"], params)}
    quotas = _quotas(round_, {g: n for g, (n, _ranked) in sizes.items()})
    params["group_ids"], params["quotas"] = list(quotas), list(quotas.values())
    params["margin"] = FIRST_MARGIN
    while True:
        _execute(statements["judge"], params)
        # A group is settled when its quota is filled, when every candidate of it has been judged, or when the
        # judged reach below the minimum points (nobody further down can be eligible).
        unsettled = [
            g for g, eligible, judged, lowest in _fetch(statements["settled"], {})
            if eligible < quotas.get(g, 0) and judged < sizes.get(g, (0, 0))[1]
            and not (round_.min_points is not None and lowest < round_.min_points)]
        if not unsettled:
            break
        _execute(statements["drop"], {})
        params["margin"] *= MARGIN_GROWTH
    nominees = _execute(statements["insert_nominees"], params)
    exclusions = _execute(statements["insert_exclusions"], params)
    _execute(statements["drop"], {})
    return nominees, exclusions


# --- Collective rounds ----------------------------------------------------------------------------------

# Every unit of the round's level as the period engine ranks units (competitions.standings.periods
# .unit_rankings: participants are the workers with counted entries, the average approved points per
# participant is the ranking's basis, the total is shown too), with its code and quota group. A team round
# takes units that are teams (班组), not a workshop a worker may be attached to directly.
UNITS = """
SELECT r.unit_id, r.participants, CAST(NULL AS numeric) AS points, r.total AS approved_points,
       r.average AS average_points, u.code, u.name, u.depot_id, {group} AS group_id
FROM ({unit_rankings}) AS r(rank, unit_id, unit_name, depot_name, participants, total, average)
JOIN {unit} u ON u.id = r.unit_id
WHERE {level_filter}
"""
UNIT_GROUP_SIZES = "SELECT group_id, SUM(participants), COUNT(*) FROM ({units}) AS s GROUP BY 1"
JUDGE_UNITS = """
CREATE TEMP TABLE {temp} ON COMMIT DROP AS
WITH quota AS (
    SELECT * FROM unnest(CAST({group_ids} AS bigint[]), CAST({quotas} AS int[])) AS q(group_id, quota)
), ranked AS (
    SELECT s.*, RANK() OVER (PARTITION BY s.group_id ORDER BY s.average_points DESC) AS group_rank,
           COALESCE(s.participants < CAST({min_participants} AS int), false) AS fails_min_participants
    FROM ({units}) AS s
), eligible AS (
    SELECT r.*, q.quota, NOT r.fails_min_participants AS eligible
    FROM ranked r JOIN quota q ON q.group_id = r.group_id
    WHERE q.quota > 0
)
SELECT e.*, CASE WHEN e.eligible THEN {pick} END AS pick
FROM eligible e
"""
PICK_UNITS = {
    TieRule.INCLUDE_ALL: "RANK() OVER (PARTITION BY e.group_id, e.eligible ORDER BY e.average_points DESC)",
    TieRule.STATED: ("ROW_NUMBER() OVER (PARTITION BY e.group_id, e.eligible ORDER BY e.average_points DESC, "
                     "e.approved_points DESC, e.participants DESC, e.code ASC)"),
}
INSERT_UNIT_NOMINEES = """
WITH line AS ({line})
INSERT INTO {nominee} (round_id, unit_id, name, employee_no, depot_id, team_id, group_id, group_name, rank, points,
                       approved_points, participants, average_points, over_quota, status, reason, position)
SELECT {round}, c.unit_id, c.name, '', c.depot_id, {team}, {group_id}, {group_name}, c.group_rank, c.points,
       c.approved_points, c.participants, c.average_points,
       (l.chosen > l.quota AND c.average_points = l.line), {shortlisted}, '',
       ROW_NUMBER() OVER (ORDER BY c.group_id, c.pick, c.code)
FROM {temp} c
JOIN line l ON l.group_id = c.group_id
{name_join}
WHERE c.eligible AND c.pick <= c.quota
"""
INSERT_UNIT_EXCLUSIONS = """
WITH line AS ({line})
INSERT INTO {exclusion} (round_id, unit_id, name, employee_no, group_id, group_name, rank, approved_points, rule,
                         detail, params)
SELECT {round}, c.unit_id, c.name, '', {group_id}, {group_name}, c.group_rank, c.approved_points, {r_min_participants},
       format({t_min_participants}, c.participants, {min_participants}),
       jsonb_build_object('participants', c.participants, 'min', CAST({min_participants} AS int))
FROM {temp} c
JOIN line l ON l.group_id = c.group_id
{name_join}
WHERE NOT c.eligible AND c.average_points >= l.line
"""


def collective_statements(round_: AwardRound) -> dict[str, sql.Composed]:
    """The statements of a collective round's shortlist, for its level, grouping and tie rule."""
    t = _tables()
    group = _group(round_)
    level = UnitLevelChoice(round_.unit_level)
    if level == UnitLevelChoice.TEAM:
        level_filter = sql.SQL("u.level = {}").format(sql.Literal(UnitLevel.TEAM.value))
        team = sql.SQL("c.unit_id")
    else:
        level_filter, team = sql.SQL("true"), sql.SQL("NULL")
    units = _sql(UNITS, group=group.key, unit_rankings=unit_rankings_statement(level.value),
                 level_filter=level_filter, **t)
    common = _common(round_, group, "average_points")
    return {
        "group_sizes": _sql(UNIT_GROUP_SIZES, units=units),
        "judge": _sql(JUDGE_UNITS, temp=TEMP, units=units, pick=sql.SQL(PICK_UNITS[TieRule(round_.tie_rule)]), **PH),
        "insert_nominees": _sql(INSERT_UNIT_NOMINEES, team=team,
                                shortlisted=sql.Literal(NomineeStatus.SHORTLISTED.value), **common),
        "insert_exclusions": _sql(INSERT_UNIT_EXCLUSIONS, **RULES, **common),
        "drop": sql.SQL("DROP TABLE {}").format(TEMP),
    }


def _collective(round_: AwardRound, snapshot: PeriodSnapshot) -> tuple[int, int]:
    """Writes the nominees and exclusions of a collective round; returns how many of each. Units are few (a
    few hundred depots, a few thousand teams): every unit is judged in one statement."""
    statements = collective_statements(round_)
    params = _params(round_, snapshot)
    sizes = {g: n for g, n, _units in _fetch(statements["group_sizes"], params)}
    quotas = _quotas(round_, sizes)
    params["group_ids"], params["quotas"] = list(quotas), list(quotas.values())
    _execute(statements["judge"], params)
    nominees = _execute(statements["insert_nominees"], params)
    exclusions = _execute(statements["insert_exclusions"], params)
    _execute(statements["drop"], {})
    return nominees, exclusions


# --- The service ----------------------------------------------------------------------------------------

def _check_snapshot(round_: AwardRound, snapshot: PeriodSnapshot) -> None:
    if (snapshot.competition_id, snapshot.start, snapshot.end, snapshot.signed_off_only) != (
            round_.competition_id, round_.basis_start, round_.basis_end, round_.signed_off_only):
        raise RoundRefused(StoredText(gettext_noop("排名快照的竞赛、期间或口径与评选不一致。")), "snapshot_mismatch")
    if snapshot.status != SnapshotStatus.READY:
        raise RoundRefused(StoredText(gettext_noop("排名快照未能完成计算，请重新生成。")), "snapshot_not_ready")


def refuse_basis_not_started(round_: AwardRound) -> None:
    """RoundRefused while the round's basis period has not begun: a snapshot refuses a range wholly in the
    future (periods.validate_range). Asked when the shortlist is requested (jobs.shortlist_start, nothing
    written) and again when it is generated."""
    if round_.basis_start > timezone.localdate():
        # A StoredText: the background run (jobs.shortlist_run) keeps it to be shown in its reader's language.
        raise RoundRefused(StoredText(gettext_noop("评选期尚未开始（%(start)s 起），还不能生成候选名单。"),
                                      {"start": str(round_.basis_start)}), "basis_not_started")


def generate_shortlist(*, round_: AwardRound, actor, snapshot: PeriodSnapshot | None = None) -> AwardRound:
    """Generates (or generates again) the round's shortlist from a period snapshot of its basis period, as the
    module's docstring says: computes the snapshot unless one is given (it must be of the round's competition,
    period and basis, and ready), then replaces the round's nominees and exclusions in one transaction that
    locks the round, and records the snapshot, its digest and the event. Refuses a round that is not a draft
    or shortlisted (a proposed list is the committee's), a snapshot that does not fit; only union staff."""
    require_staff(actor)
    check_move(AwardRound.objects.get(pk=round_.pk), RoundStatus.SHORTLISTED)  # before the snapshot's work
    refuse_basis_not_started(round_)
    if snapshot is None:
        snapshot = compute_period_snapshot(competition_id=round_.competition_id, start=round_.basis_start,
                                           end=round_.basis_end, signed_off_only=round_.signed_off_only, user=actor)
    _check_snapshot(round_, snapshot)
    with transaction.atomic():
        locked = lock_round(round_.pk)
        action = check_move(locked, RoundStatus.SHORTLISTED)
        _check_snapshot(locked, snapshot)  # the conditions may have been edited while the snapshot was computed
        # Raw deletes: the ORM's would load the rows first to cascade, and nothing else refers to them but the
        # events of an earlier shortlist's committee changes, which keep their text (nominee set to NULL).
        t = _tables()
        _execute(sql.SQL("UPDATE {} SET nominee_id = NULL WHERE round_id = {r} AND nominee_id IS NOT NULL").format(
            _table(RoundEvent), r=PH["round"]), {"round": locked.pk})
        for table in (t["nominee"], t["exclusion"]):
            _execute(sql.SQL("DELETE FROM {} WHERE round_id = {}").format(table, PH["round"]), {"round": locked.pk})
        nominees, exclusions = (_collective if locked.kind == RoundKind.COLLECTIVE else _individual)(locked, snapshot)
        now = timezone.now()
        locked.status = RoundStatus.SHORTLISTED
        locked.snapshot = snapshot
        locked.snapshot_digest = snapshot.digest or ""
        locked.shortlisted_at = now
        locked.save(update_fields=["status", "snapshot", "snapshot_digest", "shortlisted_at"])
        record(locked, action, actor=actor, at=now, facts={
            "snapshot": snapshot.pk, "digest": (snapshot.digest or "")[:12], "nominees": nominees,
            "exclusions": exclusions})
    return locked
