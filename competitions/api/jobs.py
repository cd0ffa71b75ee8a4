"""A background job through the API (GET /api/v1/jobs/<id>/): what an endpoint that answers 202 started
(the review's approve-matching for a large selection, reviews.jobs), its progress and its outcome, worded in
the reader's language as on its portal page (/jobs/<id>/). Who may read a job is Job.objects.visible_to
(their own; union staff everyone's); another person's job answers 404, exactly like a missing one."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions.jobs import job_kind_label
from competitions.models import Job, JobStatus
from config.api.errors import error_responses


class JobSummaryLine(serializers.Serializer):
    label = serializers.CharField(help_text="项目（读者的语言）")
    value = serializers.JSONField(help_text="数值")


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="任务类型，如 review_approve_matching")
    kind_label = serializers.SerializerMethodField(help_text="任务类型名称（读者的语言）")
    status = serializers.ChoiceField(choices=JobStatus.choices, help_text="queued 排队中 / running 进行中 / "
                                                                          "succeeded 已完成 / failed 失败")
    done = serializers.IntegerField(help_text="已处理条数")
    total = serializers.IntegerField(allow_null=True, help_text="总条数（开始前为 null）")
    percent = serializers.IntegerField(allow_null=True, help_text="进度百分比")
    finished = serializers.BooleanField(help_text="是否已结束（已完成或失败）")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(help_text="结果说明（读者的语言；未结束时为空）")
    summary = serializers.SerializerMethodField(help_text="结果各项，如已通过条数")
    error = serializers.CharField(source="error_text", help_text="失败原因（读者的语言；未失败时为空）")
    page = serializers.SerializerMethodField(help_text="该任务在门户中的页面")

    def get_kind_label(self, job) -> str:
        return job_kind_label(job)

    @extend_schema(responses=JobSummaryLine(many=True))
    def get_summary(self, job) -> list[dict]:
        return [{"label": label, "value": value} for label, value in job.summary]

    def get_page(self, job) -> str:
        return reverse("jobs:detail", args=[job.pk])


def job_response(job: Job, *, status: int = 200) -> Response:
    """The job as the API shows it; an endpoint that started it answers 202 with this and its address."""
    headers = {"Location": reverse("api:job-detail", args=[job.pk])} if status == 202 else None
    return Response(JobOutput(job).data, status=status, headers=headers)


@extend_schema_view(get=extend_schema(
    tags=["任务 jobs"], operation_id="job_detail", summary="后台任务的进度和结果",
    description="接口返回 202 时所启动的后台任务（如符合条件的录入较多时的“通过符合条件的全部待审核录入”）："
                "状态、进度和结果。只能看到本人启动的任务（工会工作人员可看全部）；他人的任务返回 404。",
    responses={200: JobOutput, **error_responses(401, 404)}))
class JobDetail(APIView):
    def get(self, request, pk: int):
        return job_response(get_object_or_404(Job.objects.visible_to(request.user), pk=pk))
