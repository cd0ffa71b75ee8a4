"""The demo workforce: the unit tree and the workers, generated deterministically in memory.

Nothing here touches the database; ``seed`` writes what this plans. Every random
choice comes from the ``random.Random`` passed in, so one seed always gives the same people.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from competitions.demo import catalog
from members.models import Gender, MembershipStatus
from members.validators import id_number_check_digit

CN_DIGITS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (team names: 运用一班组)."""
    if n <= 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


@dataclass
class UnitPlan:
    code: str
    name: str
    level: int
    region: str
    parent_code: str | None


@dataclass
class DepotPlan:
    index: int
    code: str
    name: str
    region: catalog.Region
    system_index: int
    size: int  # workers
    teams: list[str] = field(default_factory=list)  # unit codes of its teams, where workers sit


@dataclass
class WorkforcePlan:
    units: list[UnitPlan]  # bureaus first, then depots, workshops, teams (parents before children)
    depots: list[DepotPlan]
    # Worker rows as plain values, in employee-number order (see ``WORKER_FIELDS``).
    workers: list[tuple]
    # Per worker, parallel to ``workers``: depot index, team code, job type (system index, index in
    # system), and the worker's performance factor (skill and diligence: spreads the rankings).
    worker_depot: list[int]
    worker_team: list[str]
    worker_job: list[tuple[int, int]]
    worker_factor: list[float]


WORKER_FIELDS = (
    "employee_no", "name", "gender", "id_number", "mobile", "skill_grade", "membership_status",
    "member_card_no", "joined_on",
)


def depot_count(workers: int) -> int:
    return max(catalog.MIN_DEPOTS, round(workers / catalog.WORKERS_PER_DEPOT))


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), each part at least ``minimum``."""
    n = len(weights)
    base = [minimum] * n
    rest = total - minimum * n
    if rest <= 0:
        return base
    s = sum(weights)
    exact = [rest * w / s for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(n), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: rest - sum(parts)]:
        parts[i] += 1
    return [b + p for b, p in zip(base, parts, strict=True)]


def plan_depots(rng: random.Random, workers: int) -> list[DepotPlan]:
    """Depots per business system in proportion to its headcount, spread over the three regions.

    The first depot of every system is in Beijing, so the demo depot (北京机务段) always exists.
    """
    systems = catalog.SYSTEMS
    regions = catalog.REGIONS
    per_system = apportion(depot_count(workers), [s.share for s in systems], minimum=1)
    staff_per_system = apportion(workers, [s.share for s in systems])
    depots: list[DepotPlan] = []
    placed_total = [0] * len(regions)
    for si, (system, n_depots) in enumerate(zip(systems, per_system, strict=True)):
        # Each system's first depot is in Beijing (so 北京机务段 exists even in the smallest demo);
        # the rest go, one by one, to the region furthest below its share of all depots so far.
        placed = [0] * len(regions)
        sizes = apportion(staff_per_system[si], [rng.uniform(0.6, 1.4) for _ in range(n_depots)])
        for j in range(n_depots):
            total = sum(placed_total) + 1
            ri = 0 if j == 0 else max(range(len(regions)),
                                      key=lambda r: (regions[r].share * total - placed_total[r], -r))
            region = regions[ri]
            k = placed[ri]
            placed[ri] += 1
            placed_total[ri] += 1
            place = region.places[k % len(region.places)]
            suffix = system.depot_suffixes[(k // len(region.places)) % len(system.depot_suffixes)]
            lap = k // (len(region.places) * len(system.depot_suffixes))
            name = place + suffix if lap == 0 else f"{place}第{cn_number(lap + 1)}{suffix}"
            code = f"{region.code}-{system.code}{k + 1:02d}"
            depots.append(DepotPlan(len(depots), code, name, region, si, sizes[j]))
    return depots


def plan_units(depots: list[DepotPlan]) -> list[UnitPlan]:
    """Bureau → depot → workshops → teams, sized to the depot's headcount."""
    from members.models import UnitLevel

    units = [UnitPlan(r.code, r.bureau_name, UnitLevel.BUREAU, r.code, None) for r in catalog.REGIONS]
    workshops: list[UnitPlan] = []
    teams: list[UnitPlan] = []
    for depot in depots:
        system = catalog.SYSTEMS[depot.system_index]
        units.append(UnitPlan(depot.code, depot.name, UnitLevel.DEPOT, depot.region.code, depot.region.code))
        n_ws = min(len(system.workshops), max(2, math.ceil(depot.size / 150)))
        teams_per_ws = max(1, math.ceil(depot.size / n_ws / catalog.WORKERS_PER_TEAM))
        for w in range(n_ws):
            ws_name = system.workshops[w]
            ws_code = f"{depot.code}-{w + 1:02d}"
            workshops.append(UnitPlan(ws_code, ws_name, UnitLevel.WORKSHOP, depot.region.code, depot.code))
            short = ws_name.removesuffix("车间")
            for t in range(teams_per_ws):
                team_code = f"{ws_code}-{t + 1:02d}"
                teams.append(UnitPlan(team_code, f"{short}{cn_number(t + 1)}班组", UnitLevel.TEAM,
                                      depot.region.code, ws_code))
                depot.teams.append(team_code)
    return units + workshops + teams


class PeopleFactory:
    """Plausible, unique personal data: names, resident ID numbers, mobiles, card numbers."""

    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.id_numbers: set[str] = set()
        self.mobiles: set[str] = set()
        self.card_seq = 0
        self.all_areas = [a for r in catalog.REGIONS for a in r.id_areas]
        self.born_from = date(1966, 1, 1).toordinal()
        self.born_to = date(2004, 12, 31).toordinal()

    def name(self, gender: str) -> str:
        rng = self.rng
        pool = catalog.GIVEN_MALE if gender == Gender.MALE else catalog.GIVEN_FEMALE
        given = rng.choice(pool) if rng.random() < 0.35 else rng.choice(pool) + rng.choice(pool)
        return rng.choice(catalog.SURNAMES) + given

    def id_number(self, region: catalog.Region, gender: str) -> tuple[str, date]:
        rng = self.rng
        while True:
            area = rng.choice(region.id_areas) if rng.random() < 0.85 else rng.choice(self.all_areas)
            born = date.fromordinal(rng.randint(self.born_from, self.born_to))
            # GB 11643: the 17th digit is odd for men and even for women.
            seq = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{area}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_number_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number, born

    def mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(catalog.MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def skill_grade(self, born: date) -> int:
        # Older workers have had time to climb: shift the grade distribution by years of service.
        years = self.today.year - born.year - 20
        grade = self.rng.choices(range(1, 9), weights=catalog.SKILL_GRADE_WEIGHTS)[0]
        if years > 20 and self.rng.random() < 0.5:
            grade += 1
        if years < 5:
            grade = min(grade, 3)
        return max(1, min(8, grade))

    def membership(self, region: catalog.Region, born: date) -> tuple[str, str | None, date | None]:
        rng = self.rng
        x = rng.random()
        if x < 0.03:
            return MembershipStatus.APPLIED, None, None
        if x < 0.06:
            return MembershipStatus.NONE, None, None
        hired = date(born.year + rng.randint(18, 24), rng.randint(1, 12), 1)
        joined = min(hired + timedelta(days=rng.randint(30, 700)), self.today - timedelta(days=1))
        if x < 0.07:
            return MembershipStatus.LEFT, None, joined
        self.card_seq += 1
        # 工会会员互助服务卡: a 16-digit card number, unique, region-coded.
        return MembershipStatus.MEMBER, f"6214{region.employee_prefix}{self.card_seq:010d}", joined


def plan_workforce(rng: random.Random, workers: int, today: date) -> WorkforcePlan:
    depots = plan_depots(rng, workers)
    units = plan_units(depots)
    people = PeopleFactory(rng, today)
    emp_seq = {r.code: 0 for r in catalog.REGIONS}
    rows: list[tuple] = []
    w_depot: list[int] = []
    w_team: list[str] = []
    w_job: list[tuple[int, int]] = []
    w_factor: list[float] = []
    for depot in depots:
        system = catalog.SYSTEMS[depot.system_index]
        job_weights = [j.weight for j in system.job_types]
        # Every job type of the system appears at least once in a depot large enough for it; the
        # rest by headcount weight. Shuffled, then dealt round-robin over the teams.
        jobs = list(range(len(system.job_types))) if depot.size >= 3 * len(system.job_types) else []
        jobs += rng.choices(range(len(system.job_types)), weights=job_weights, k=depot.size - len(jobs))
        rng.shuffle(jobs)
        for i, ji in enumerate(jobs):
            job = system.job_types[ji]
            female_share = system.female_share if job.female_share is None else job.female_share
            gender = Gender.FEMALE if rng.random() < female_share else Gender.MALE
            id_number, born = people.id_number(depot.region, gender)
            grade = people.skill_grade(born)
            status, card, joined = people.membership(depot.region, born)
            emp_seq[depot.region.code] += 1
            employee_no = f"{depot.region.employee_prefix}{emp_seq[depot.region.code]:06d}"
            rows.append((employee_no, people.name(gender), gender, id_number, people.mobile(), grade, status,
                         card, joined))
            w_depot.append(depot.index)
            w_team.append(depot.teams[i % len(depot.teams)])
            w_job.append((depot.system_index, ji))
            # Skill and diligence: higher grades do a little more; the lognormal spread makes the
            # rankings have leaders and a long middle rather than a flat tie.
            factor = rng.lognormvariate(0, 0.18) * (1 + 0.04 * (grade - 3))
            w_factor.append(min(1.9, max(0.45, factor)))
    return WorkforcePlan(units, depots, rows, w_depot, w_team, w_job, w_factor)
