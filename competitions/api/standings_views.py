"""The standings endpoints: my standing, workload and history, a leaderboard page, the places around me.

They read through competitions.standings (the one leaderboard selector and row shape) and
competitions.api.reads (single-row prepared statements); no ranking SQL here.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.fields import DateTimeField
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions import standings
from competitions.api import cache, reads, serializers
from competitions.models import Competition
from competitions.querysets import competition_status_visible_to
from competitions.scopes import Scope
from config.api.errors import ApiError, error_responses
from config.api.query import parse_query
from members.models import Worker
from members.validators import mask_name

STANDINGS_TAG = ["排名 standings"]


def _visible_competition_id(user, pk: int) -> int:
    status_ = cache.STATUS.get(pk, lambda: Competition.objects.filter(pk=pk).values_list("status", flat=True).first())
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


_DATETIME = DateTimeField()


def _ranks(row: dict, prefix: str) -> dict:
    return {scope.value: row[f"{prefix}_{scope.value}"] for scope in Scope}


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


def _row_body(row: standings.BoardRow, *, masked: bool, is_me: bool = False) -> dict:
    """A leaderboard row (LeaderboardRowOutput): the name masked for anyone but the worker and staff."""
    return {"rank": row.rank, "change": row.change, "worker_id": row.worker_id,
            "name": mask_name(row.name) if masked else row.name, "depot": row.depot, "team": row.team,
            "job_type": row.job_type, "points": _dec(row.points), "approved_points": _dec(row.approved_points),
            "is_me": is_me}


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
    parameters=[serializers.StandingQuery],
    responses={200: serializers.MyStandingOutput, **error_responses(400, 403, 404)}))
class MyStanding(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        query = parse_query(serializers.StandingQuery, request.query_params)
        # The latest standings day comes from the per-process cache: then one probe of the unique
        # (competition, day, worker) index.
        day = query.get("day") or cache.latest_day(competition_id)
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
    description="各指标的累计工作量与积分：最近一个排名日及以前的录入按现状累计（排名计算后的审核、退回、更正已计入，"
                "所以可能暂时与 standings/me 的积分不同，下次排名计算后一致），每个指标一条，不分页。",
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


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="leaderboard", summary="排行榜",
    description="某一范围的排名（总、业务系统、工种、站段），按名次分页（游标）。职工可见他人姓名的脱敏形式。",
    parameters=[serializers.LeaderboardQuery],  # the declaration the view parses: its bounds, its defaults
    responses={200: serializers.LeaderboardOutput, **error_responses(400, 404)}))
class Leaderboard(APIView):
    def get(self, request, pk: int):
        competition_id = _visible_competition_id(request.user, pk)
        query = parse_query(serializers.LeaderboardQuery, request.query_params)
        scope, scope_id = query["scope"], query.get("scope_id") if query["scope"] != Scope.OVERALL else None
        list_of = {"competition_id": competition_id, "scope": scope, "scope_id": scope_id}
        # config.cursors.InvalidCursor: the 400 invalid_cursor error
        after = standings.Cursor.decode(query["cursor"], **list_of) if query.get("cursor") else None
        day = query.get("day") or cache.latest_day(competition_id)
        me = _own_worker(request.user)
        page = _leaderboard_page(competition_id, day, scope, scope_id, after, query["page_size"]) \
            if day is not None else _EMPTY_PAGE
        # An empty list of something that is not a business system, job type or depot is a mistake in the
        # request, not an empty ranking (checked only when empty: a list with rows names a real one).
        if not page.full and not Scope(scope).names(scope_id):
            raise ValidationError({"scope_id": [ErrorDetail(_("没有这个%(scope)s。") % {"scope": Scope(scope).label},
                                                            code="does_not_exist")]})
        next_url = None
        if page.next_cursor is not None:
            params = request.query_params.copy()
            params["cursor"] = page.next_cursor
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
    false throughout), where each worker's row is, and where the next page starts (None: last page), as
    the signed cursor of its "next" link: the same for every viewer of the list, so signed once per page
    rather than on every request."""

    full: list[dict]
    masked: list[dict]
    index: dict[int, int]
    next_cursor: str | None


_EMPTY_PAGE = _Page([], [], {}, None)


def _leaderboard_page(competition_id: int, day, scope: str, scope_id: int | None, after: standings.Cursor | None,
                      page_size: int) -> _Page:
    def load() -> _Page:
        rows = standings.leaderboard(competition_id=competition_id, day=day, scope=scope, scope_id=scope_id,
                                     after=after, limit=page_size + 1)
        more = len(rows) > page_size
        rows = rows[:page_size]
        return _Page([_row_body(r, masked=False) for r in rows], [_row_body(r, masked=True) for r in rows],
                     {r.worker_id: i for i, r in enumerate(rows)},
                     standings.Cursor(rows[-1].rank, rows[-1].worker_id).encode(
                         competition_id=competition_id, scope=scope, scope_id=scope_id) if more else None)

    # "v2": a page's next cursor is kept signed (an older process's pages, in the shared cache, kept it raw).
    key = ":".join(map(str, ("api-leaderboard-v2", competition_id, day.isoformat(), cache.latest_run(competition_id),
                             scope, scope_id or "", page_size, *(after or ("", "")))))
    return cache.PAGES.get(key, load)


@extend_schema_view(get=extend_schema(
    tags=STANDINGS_TAG, operation_id="leaderboard_around_me", summary="我前后的名次",
    description="本人所在范围（总、业务系统、工种、站段）排名中，以本人为中心的若干名。",
    parameters=[serializers.AroundMeQuery],
    responses={200: serializers.AroundMeOutput, **error_responses(400, 403, 404)}))
class AroundMe(_WorkerOnly, APIView):
    def get(self, request, pk: int):
        worker_id, _name = self.worker_or_403(request)
        competition_id = _visible_competition_id(request.user, pk)
        query = parse_query(serializers.AroundMeQuery, request.query_params)
        scope = Scope(query["scope"])
        day = query.get("day") or cache.latest_day(competition_id)
        me = None if day is None else standings.worker_standing(competition_id=competition_id,
                                                                 worker_id=worker_id, day=day)
        rows = [] if me is None else standings.around_standing(me, scope=scope, size=query["size"])
        masked = not request.user.is_staff
        body = {"competition_id": competition_id, "day": me.day if me else None, "scope": scope.value,
                "scope_id": getattr(me, scope.column) if (me and scope.column) else None,
                "results": [_row_body(r, masked=masked and r.worker_id != worker_id, is_me=r.worker_id == worker_id)
                            for r in rows]}
        return Response(body)
