"""The competition catalog: competitions, business systems, job types, scoring rules."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from datetime import date
from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import DateTimeField
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions import standings
from competitions.api import filters, reads, serializers
from competitions.models import (
    BusinessSystem,
    Competition,
    JobType,
    RuleVersion,
    RunOutcome,
    ScoringRule,
    StandingRun,
)
from competitions.querysets import competition_status_visible_to
from config.api.errors import ApiError, error_responses
from config.api.pagination import IdAscendingPagination, KeysetPagination
from members.models import Worker
from members.validators import mask_name
from reviews.validation import local_today

TAG = ["竞赛 competitions"]


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="competitions_list", summary="劳动竞赛列表",
                                      description="筹备中的竞赛只对工会干部可见。",
                                      responses={200: serializers.CompetitionOutput(many=True),
                                                 **error_responses(400)}))
class CompetitionList(generics.ListAPIView):
    serializer_class = serializers.CompetitionOutput
    filterset_class = filters.CompetitionFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return Competition.objects.visible_to(self.request.user).prefetch_related("organizers")


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="competitions_retrieve", summary="劳动竞赛详情",
                                      responses={200: serializers.CompetitionOutput, **error_responses(404)}))
class CompetitionDetail(generics.RetrieveAPIView):
    serializer_class = serializers.CompetitionOutput

    def get_queryset(self):
        return Competition.objects.visible_to(self.request.user).prefetch_related("organizers")


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="business_systems_list", summary="业务系统列表",
                                      description="固定的小目录（9个），不分页。",
                                      responses={200: serializers.BusinessSystemOutput(many=True),
                                                 **error_responses()}))
class BusinessSystemList(generics.ListAPIView):
    serializer_class = serializers.BusinessSystemOutput
    queryset = BusinessSystem.objects.all()
    pagination_class = None


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="job_types_list", summary="工种列表",
                                      description="固定的小目录（94个），不分页。",
                                      responses={200: serializers.JobTypeOutput(many=True), **error_responses(400)}))
class JobTypeList(generics.ListAPIView):
    serializer_class = serializers.JobTypeOutput
    filterset_class = filters.JobTypeFilter
    queryset = JobType.objects.select_related("business_system")
    pagination_class = None


ON_PARAMETER = OpenApiParameter("on", OpenApiTypes.DATE, description="按哪一天生效的计分标准，默认今天（YYYY-MM-DD）")


class RuleQuerysetMixin:
    def get_queryset(self):
        query = serializers.RuleQueryInput(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("on") or local_today()
        # The versions in force on or before the day, newest first: the first one is the one in force.
        versions = RuleVersion.objects.filter(effective_from__lte=day).order_by("rule_id", "-effective_from")
        return (ScoringRule.objects
                .filter(competition__in=Competition.objects.visible_to(self.request.user))
                .select_related("job_type__business_system")
                .prefetch_related(Prefetch("versions", queryset=versions, to_attr="versions_until_day")))

    def get_serializer(self, *args, **kwargs):
        instances = args[0] if args else None
        for rule in instances if isinstance(instances, list) else [instances] if instances is not None else []:
            rule.version_in_force = rule.versions_until_day[0] if rule.versions_until_day else None
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="rules_list", summary="计分规则列表",
                                      description="每条规则附带查询日期生效的计分标准（每单位积分、每日上限）。",
                                      parameters=[ON_PARAMETER],
                                      responses={200: serializers.RuleOutput(many=True), **error_responses(400)}))
class RuleList(RuleQuerysetMixin, generics.ListAPIView):
    serializer_class = serializers.RuleOutput
    filterset_class = filters.RuleFilter
    pagination_class = IdAscendingPagination


@extend_schema_view(get=extend_schema(tags=TAG, operation_id="rules_retrieve", summary="计分规则详情",
                                      parameters=[ON_PARAMETER],
                                      responses={200: serializers.RuleOutput, **error_responses(400, 404)}))
class RuleDetail(RuleQuerysetMixin, generics.RetrieveAPIView):
    serializer_class = serializers.RuleOutput


# -- standings (read paths of competitions.standings; no ranking SQL here) ---------------------------

STANDINGS_TAG = ["排名 standings"]


class _TTLCache:
    """A few facts every standings request needs and that change rarely (a competition's status, the
    latest standings day), kept per process for a few seconds: under load each saved round trip
    to PostgreSQL is worth more than the query itself. A change shows within ``ttl`` seconds."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.values: dict = {}

    def get(self, key, load):
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        self.values[key] = (now + self.ttl, value)
        return value


_STATUS = _TTLCache(ttl=10)
_LATEST_DAY = _TTLCache(ttl=10)
_LATEST_RUN = _TTLCache(ttl=10)


def _latest_day(competition_id: int):
    return _LATEST_DAY.get(competition_id, lambda: standings.latest_day(competition_id))


def _latest_run(competition_id: int):
    return _LATEST_RUN.get(competition_id, lambda: reads.latest_run_id(competition_id))


class _PageCache:
    """Leaderboard pages, in this process (``local_ttl`` seconds, at most ``size`` pages) in front of
    the shared cache (Redis in production; ``shared_ttl`` seconds). Keys carry the competition's latest
    succeeded standings run, so a run that publishes new rows makes new keys (the old pages are never
    read again and expire); what a cached page may still show stale is a worker's name, depot or job
    type changed since, for at most the two TTLs."""

    def __init__(self, *, local_ttl: float, shared_ttl: int, size: int):
        self.local_ttl, self.shared_ttl, self.size = local_ttl, shared_ttl, size
        self.values: dict = {}
        self.lock = threading.Lock()

    def get(self, key: str, load):
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = cache.get(key)
        if value is None:
            value = load()
            cache.set(key, value, self.shared_ttl)
        with self.lock:  # gthread's threads share the dict
            if len(self.values) >= self.size:
                for old in list(self.values)[: self.size // 2]:  # the oldest half
                    del self.values[old]
            self.values[key] = (now + self.local_ttl, value)
        return value


_PAGES = _PageCache(local_ttl=30, shared_ttl=120, size=2000)


def clear_caches() -> None:
    _STATUS.values.clear()
    _LATEST_DAY.values.clear()
    _LATEST_RUN.values.clear()
    _PAGES.values.clear()


@receiver(post_save, sender=StandingRun)
def _run_published(sender, instance: StandingRun, **kwargs):
    """A succeeded run shows at once in this process (other processes: within the TTLs above)."""
    if instance.outcome == RunOutcome.SUCCEEDED:
        def forget():
            _LATEST_DAY.values.pop(instance.competition_id, None)
            _LATEST_RUN.values.pop(instance.competition_id, None)
        transaction.on_commit(forget)


def _visible_competition_id(user, pk: int) -> int:
    status_ = _STATUS.get(pk, lambda: Competition.objects.filter(pk=pk).values_list("status", flat=True).first())
    if not competition_status_visible_to(user, status_):
        raise Competition.DoesNotExist
    return pk


def _own_worker(user) -> tuple[int, str] | None:
    """The signed-in person's worker (id, name): already loaded by bearer authentication."""
    try:
        worker = user.worker
    except Worker.DoesNotExist:
        return None
    return (worker.pk, worker.name) if worker is not None else None


_RANK_SCOPES = ("overall", "business_system", "job_type", "unit")
_DATETIME = DateTimeField()


def _ranks(row: dict, prefix: str) -> dict:
    return {scope: row[f"{prefix}_{scope}"] for scope in _RANK_SCOPES}


# The standings endpoints are the hot path (every worker's phone, every day): their bodies are built
# as plain JSON-ready dicts in exactly the shape of the documented serializers, which DRF would
# otherwise walk field by field for each of 50 rows. tests/api/test_standings_api.py checks that the
# two agree.
def _dec(value) -> str:
    return format(value, ".3f")


def _day_body(row: dict) -> dict:
    """A standings row ({column: value}, or a Standing's __dict__) as the API shows a day."""
    return {"day": row["day"].isoformat(), "points": _dec(row["points"]),
            "approved_points": _dec(row["approved_points"]), "pending_points": _dec(row["pending_points"]),
            "ranks": _ranks(row, "rank"), "changes": _ranks(row, "change"),
            "points_to_next": _dec(row["points_to_next"])}


def _query(serializer_class, request):
    fast = _FAST_QUERY.get(serializer_class)
    validated = fast(request.query_params) if fast is not None else None
    if validated is not None:
        return validated
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


# The hot endpoints' query strings as the app sends them, parsed without the serializer (which deep-copies
# its fields on every request, a fifth of a leaderboard request's time). Anything else (an empty, odd or
# invalid value) returns None and goes to the serializer, which decides and words the errors; unknown
# parameters are ignored by both. The last value of a repeated parameter counts, as in the serializer.
# tests/api/test_standings_api.py checks the two agree.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_POSITIVE_INT = re.compile(r"[1-9][0-9]{0,17}")  # < 2**63
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,200}")


def _fast_day(params, out: dict) -> bool:
    if "day" in params:
        value = params["day"]
        if not _ISO_DATE.fullmatch(value):
            return False
        try:
            out["day"] = date.fromisoformat(value)
        except ValueError:
            return False
    return True


def _fast_standing_query(params) -> dict | None:
    out = {}
    return out if _fast_day(params, out) else None


def _fast_leaderboard_query(params) -> dict | None:
    out = {}
    if not _fast_day(params, out):
        return None
    out["scope"] = params.get("scope", "overall")
    if out["scope"] not in _SCOPES:
        return None
    if "scope_id" in params:
        if not _POSITIVE_INT.fullmatch(params["scope_id"]):
            return None
        out["scope_id"] = int(params["scope_id"])
    elif out["scope"] != "overall":
        return None
    if "cursor" in params:
        if not _CURSOR.fullmatch(params["cursor"]):
            return None
        out["cursor"] = params["cursor"]
    out["page_size"] = _PAGE_SIZE.default
    if "page_size" in params:
        if not _POSITIVE_INT.fullmatch(params["page_size"]) or int(params["page_size"]) > _PAGE_SIZE.max_value:
            return None
        out["page_size"] = int(params["page_size"])
    return out


_SCOPES = dict(serializers.SCOPE_CHOICES)
_PAGE_SIZE = serializers.LeaderboardQuery._declared_fields["page_size"]


_FAST_QUERY = {serializers.StandingQuery: _fast_standing_query, serializers.LeaderboardQuery: _fast_leaderboard_query}


class _WorkerOnly:
    """The standing endpoints read the worker id in one query instead of the whole role scope."""

    permission_classes = [IsAuthenticated]

    def worker_or_403(self, request) -> tuple[int, str]:
        worker = _own_worker(request.user)
        if worker is None:
            raise PermissionDenied(_("只有职工本人可以查看自己的排名。"))
        return worker


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="my_standing", summary="我的排名",
    description="累计积分（已审核/待审核）、四个排名（总、业务系统、工种、站段）、名次变化、距上一名的差距。"
                "默认为最近一次排名；尚无排名时返回 404 no_standing。各指标累计工作量见 workload。",
    parameters=[OpenApiParameter("day", OpenApiTypes.DATE, description="排名日期，默认最近一次")],
    responses={200: serializers.MyStandingOutput, **error_responses(400, 403, 404)}))
class MyStanding(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        query = _query(serializers.StandingQuery, request)
        # The latest standings day comes from the per-process cache: then one probe of the unique
        # (competition, day, worker) index.
        day = query.get("day") or _latest_day(competition_id)
        row = reads.my_standing(competition_id=competition_id, worker_id=worker_id, day=day) \
            if day is not None else None
        if row is None:
            raise ApiError(_("暂无排名：排名每天夜间计算，有录入后次日可查。"), "no_standing",
                           status.HTTP_404_NOT_FOUND)
        body = {**_day_body(row), "competition_id": competition_id,
                "computed_at": _DATETIME.to_representation(row["computed_at"])}
        return Response(body)


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="my_workload", summary="我的累计工作量",
    description="各指标的累计工作量与积分（截至最近一次排名计算），每个指标一条，不分页。",
    responses={200: serializers.RuleTotalOutput(many=True), **error_responses(403, 404)}))
class MyWorkload(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        totals = standings.worker_rule_totals(competition_id=competition_id, worker_id=worker_id)
        body = [{"rule_id": t.rule_id, "metric": t.metric, "unit_of_measure": t.unit_of_measure,
                 "quantity": t.quantity, "points": t.points} for t in totals]
        return Response(serializers.RuleTotalOutput(body, many=True).data)


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="my_standing_history", summary="我的排名历史",
    description="每个排名日一条，按日期先后；条数以竞赛天数为上限，不分页。",
    responses={200: serializers.StandingDayOutput(many=True), **error_responses(403, 404)}))
class MyStandingHistory(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        rows = standings.worker_history(competition_id=competition_id, worker_id=worker_id)
        return Response([_day_body(vars(r)) for r in rows])


def _board_rows(rows, *, rank_attr: str, change_attr: str, me_id: int | None, full_names: bool) -> list[dict]:
    # One query for the names on the page (the standings rows carry ids only).
    info = {pk: (name, depot, job_type) for pk, name, depot, job_type in Worker.objects.filter(
        pk__in=[r.worker_id for r in rows]).values_list("id", "name", "unit__depot__name", "job_type__name")}
    out = []
    for r in rows:
        name, depot, job_type = info.get(r.worker_id, ("", None, ""))
        is_me = r.worker_id == me_id
        out.append({"rank": getattr(r, rank_attr), "change": getattr(r, change_attr), "worker_id": r.worker_id,
                    "name": name if (is_me or full_names) else mask_name(name), "depot": depot,
                    "job_type": job_type, "points": _dec(r.points), "approved_points": _dec(r.approved_points),
                    "is_me": is_me})
    return out


def _encode_cursor(cursor: standings.Cursor) -> str:
    raw = json.dumps([cursor.rank, cursor.employee_no], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> standings.Cursor:
    try:
        rank, employee_no = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not (isinstance(rank, int) and 0 <= rank < 2**31 and isinstance(employee_no, str)
                and len(employee_no) <= 20):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(_("分页游标无效，请从第一页重新开始。"), "invalid_cursor") from None
    return standings.Cursor(rank=rank, employee_no=employee_no)


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="leaderboard", summary="排行榜",
    description="某一范围的排名（总、业务系统、工种、站段），按名次分页（游标）。职工可见他人姓名的脱敏形式。",
    parameters=[
        OpenApiParameter("scope", OpenApiTypes.STR, enum=[c for c, _l in serializers.SCOPE_CHOICES],
                         description="范围：overall（默认）/ business_system / job_type / unit（站段）"),
        OpenApiParameter("scope_id", OpenApiTypes.INT, description="范围 id；scope 不是 overall 时必填"),
        OpenApiParameter("day", OpenApiTypes.DATE, description="排名日期，默认最近一次"),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="分页游标：取自上一页的 next 链接"),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数（1-100，默认50）"),
    ],
    responses={200: serializers.LeaderboardOutput, **error_responses(400, 404)}))
class Leaderboard(APIView):
    def get(self, request, pk: int):
        competition_id = _visible_competition_id(request.user, pk)
        query = _query(serializers.LeaderboardQuery, request)
        scope, scope_id = query["scope"], query.get("scope_id") if query["scope"] != "overall" else None
        after = _decode_cursor(query["cursor"]) if query.get("cursor") else None
        day = query.get("day") or _latest_day(competition_id)
        me = _own_worker(request.user)
        page = _leaderboard_page(competition_id, day, scope, scope_id, after, query["page_size"]) \
            if day is not None else _EMPTY_PAGE
        next_url = None
        if page.next_cursor is not None:
            params = request.query_params.copy()
            params["cursor"] = _encode_cursor(page.next_cursor)
            params["day"] = day.isoformat()  # every page of one walk reads the same day
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        results = page.full if request.user.is_staff else page.masked
        mine = page.index.get(me[0]) if me else None
        if mine is not None:
            results = list(results)
            results[mine] = {**page.full[mine], "is_me": True}
        body = {"competition_id": competition_id, "day": day, "scope": scope, "scope_id": scope_id, "next": next_url,
                "results": results}
        return Response(body)


class _Page(NamedTuple):
    """A leaderboard page as every viewer shares it: its rows with full and with masked names (is_me
    false throughout), where each worker's row is, and where the next page starts (None: last page)."""

    full: list[dict]
    masked: list[dict]
    index: dict[int, int]
    next_cursor: standings.Cursor | None


_EMPTY_PAGE = _Page([], [], {}, None)


def _leaderboard_page(competition_id: int, day, scope: str, scope_id: int | None, after: standings.Cursor | None,
                      page_size: int) -> _Page:
    def load() -> _Page:
        rows = reads.leaderboard(competition_id=competition_id, day=day, scope=scope, scope_id=scope_id,
                                 after=after, limit=page_size + 1)
        more = len(rows) > page_size
        rows = rows[:page_size]
        full = [{"rank": rank, "change": change, "worker_id": worker_id, "name": name, "depot": depot,
                 "job_type": job_type, "points": _dec(points), "approved_points": _dec(approved_points),
                 "is_me": False}
                for rank, change, worker_id, _employee_no, name, depot, job_type, points, approved_points in rows]
        masked = [{**row, "name": mask_name(row["name"])} for row in full]
        return _Page(full, masked, {row["worker_id"]: i for i, row in enumerate(full)},
                     standings.Cursor(rows[-1][0], rows[-1][3]) if more else None)

    key = ":".join(map(str, ("api-leaderboard", competition_id, day.isoformat(), _latest_run(competition_id), scope,
                             scope_id or "", page_size, _encode_cursor(after) if after else "")))
    return _PAGES.get(key, load)


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="leaderboard_around_me", summary="我前后的名次",
    description="本人所在范围（总、业务系统、工种、站段）排名中，以本人为中心的若干名。",
    parameters=[
        OpenApiParameter("scope", OpenApiTypes.STR, enum=[c for c, _l in serializers.SCOPE_CHOICES],
                         description="范围：overall（默认）/ business_system / job_type / unit（站段）"),
        OpenApiParameter("day", OpenApiTypes.DATE, description="排名日期，默认最近一次"),
        OpenApiParameter("size", OpenApiTypes.INT, description="返回条数（含本人，1-51，默认11）"),
    ],
    responses={200: serializers.AroundMeOutput, **error_responses(400, 403, 404)}))
class AroundMe(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        query = _query(serializers.AroundMeQuery, request)
        scope = query["scope"]
        day = query.get("day") or _latest_day(competition_id)
        rows = [] if day is None else standings.around_worker(competition_id=competition_id, worker_id=worker_id,
                                                              day=day, scope=scope, size=query["size"])
        me = next((r for r in rows if r.worker_id == worker_id), None)
        column, rank_attr = standings.SCOPES[scope]
        body = {"competition_id": competition_id, "day": me.day if me else None, "scope": scope,
                "scope_id": getattr(me, column) if (me and column) else None,
                "results": _board_rows(rows, rank_attr=rank_attr, change_attr=rank_attr.replace("rank_", "change_"),
                                       me_id=worker_id, full_names=request.user.is_staff)}
        return Response(body)
