"""The message centre for the mobile client: my notifications (newest first, keyset-paged), marking them
read, the unread count, and the weekly digest opt-in. A notification is its recipient's alone: someone
else's id is ignored when marking, as a missing one is."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import ApiError, error_responses
from config.api.filters import BooleanFilter
from config.api.idempotency import IDEMPOTENCY_PARAMETER, IdempotentPostMixin
from config.api.pagination import KeysetPagination
from config.api.serializers import JsonBooleanField, StrictInputSerializer, id_field
from members import notifications
from members.models import Notification, NotificationKind

TAG = ["消息 notifications"]
MAX_IDS = 500


class NotificationOutput(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=NotificationKind.choices,
        help_text="entries_rejected 录入被驳回、dispute_answered 申诉已答复、sign_off_due 月份待签发、"
                  "public_notice 公示开始、rank_digest 每周排名变化、objection_answered 异议已答复")
    title = serializers.CharField(source="text.title", help_text="标题（按请求的语言）")
    body = serializers.CharField(source="text.body", help_text="内容（按请求的语言，可为空）")
    link = serializers.CharField(help_text="门户内的相对地址（可为空）")
    read = serializers.SerializerMethodField(help_text="是否已读")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read", "read_at"]

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class UnreadOutput(serializers.Serializer):
    unread = serializers.IntegerField(help_text="未读条数（最多数到100；超过99时客户端显示“99+”）")


class MarkReadInput(StrictInputSerializer):
    ids = serializers.ListField(child=id_field(), required=False, min_length=1, max_length=MAX_IDS,
                                help_text=f"要标为已读的消息 id（1-{MAX_IDS} 个）")
    all = JsonBooleanField(required=False, default=False, help_text="true：全部标为已读（此时不传 ids）")

    def validate(self, data):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise serializers.ValidationError(_("请提供 ids，或 all=true（二选一）。"), code="ids_or_all")
        return data


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="本次标为已读的条数（他人的、已读的和不存在的 id 不计）")
    unread = serializers.IntegerField(help_text="标记后的未读条数（最多数到100）")


class SettingsInput(StrictInputSerializer):
    weekly_digest = JsonBooleanField(help_text="是否接收每周排名变化（只限参加竞赛的职工）")


class SettingsOutput(serializers.Serializer):
    weekly_digest = serializers.BooleanField(help_text="是否接收每周排名变化")


class NotificationFilter(django_filters.FilterSet):
    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="true：只列出未读；false：只列出已读")

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema_view(get=extend_schema(
    tags=TAG, operation_id="my_notifications_list", summary="我的消息",
    description="本人的消息，新的在前，游标分页；unread=true 只列出未读。每个角色都有自己的消息。",
    responses={200: NotificationOutput(many=True), **error_responses(400)}))
class NotificationList(generics.ListAPIView):
    serializer_class = NotificationOutput
    filterset_class = NotificationFilter
    pagination_class = KeysetPagination  # -id: newest first, a unique key

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user)


class UnreadCount(APIView):
    @extend_schema(tags=TAG, operation_id="my_notifications_unread", summary="未读消息数",
                   description="导航角标用：一次索引查询，最多数到100。",
                   responses={200: UnreadOutput, **error_responses()})
    def get(self, request):
        return Response(UnreadOutput({"unread": notifications.unread_count(request.user)}).data)


class MarkRead(IdempotentPostMixin, APIView):
    @extend_schema(tags=TAG, operation_id="my_notifications_mark_read", summary="标为已读",
                   request=MarkReadInput, parameters=[IDEMPOTENCY_PARAMETER],
                   description="ids 中本人的未读消息标为已读，或 all=true 全部标为已读；他人的或不存在的 id 忽略"
                               "（不报错，也不透露其是否存在）。ids 与 all 须二选一（否则 400 validation_error）。",
                   responses={200: MarkReadOutput, **error_responses(400)})
    def post(self, request):
        data = MarkReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("all"):
            marked = notifications.notifications_mark_all_read(user=request.user)
        else:
            marked = notifications.notifications_mark_read(user=request.user, ids=data.validated_data["ids"])
        body = {"marked": marked, "unread": notifications.unread_count(request.user)}
        return Response(MarkReadOutput(body).data)


class NotificationSettings(APIView):
    @extend_schema(tags=TAG, operation_id="my_notification_settings", summary="消息设置",
                   responses={200: SettingsOutput, **error_responses()})
    def get(self, request):
        return Response(SettingsOutput({"weekly_digest": notifications.weekly_digest_wanted(request.user)}).data)

    @extend_schema(tags=TAG, operation_id="my_notification_settings_update", summary="修改消息设置",
                   request=SettingsInput,
                   description="每周排名变化只发给参加竞赛的职工：非职工订阅返回 400 not_a_worker"
                               "（取消订阅总是可以）。",
                   responses={200: SettingsOutput, **error_responses(400)})
    def put(self, request):
        data = SettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            wanted = notifications.weekly_digest_set(user=request.user,
                                                     wanted=data.validated_data["weekly_digest"])
        except notifications.NotAWorker:
            raise ApiError(_("每周排名变化只发给参加竞赛的职工。"), "not_a_worker",
                           status.HTTP_400_BAD_REQUEST) from None
        return Response(SettingsOutput({"weekly_digest": wanted}).data)
