"""Input and output shapes of the account endpoints. Input serializers only validate."""

from __future__ import annotations

from rest_framework import serializers

from config.api.serializers import StrictInputSerializer
from reviews.api.serializers import WorkerRefOutput


class LoginInput(StrictInputSerializer):
    employee_no = serializers.CharField(max_length=150,
                                        help_text="登录名：职工填工号，录入员、审核员、工会干部填用户名")
    password = serializers.CharField(max_length=128, trim_whitespace=False, help_text="密码")


class RefreshInput(StrictInputSerializer):
    refresh = serializers.CharField(max_length=128, help_text="登录或上次刷新时返回的 refresh 令牌")


class PasswordChangeInput(StrictInputSerializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False, help_text="当前密码（临时密码）")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False,
                                         help_text="新密码：至少8位，不能全是数字，不能过于常见或与工号相近")


class TokensOutput(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer", help_text="固定为 Bearer")
    access = serializers.CharField(help_text="访问令牌：请求头 Authorization: Bearer <access>")
    access_expires_at = serializers.DateTimeField(help_text="访问令牌到期时间；到期后用 refresh 换新")
    refresh = serializers.CharField(help_text="刷新令牌：只用于 /auth/refresh/，每次刷新后旧的作废")
    refresh_expires_at = serializers.DateTimeField(help_text="刷新令牌到期时间；到期后须重新登录")


class CodedRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class UnitRefOutput(CodedRefOutput):
    level = serializers.IntegerField(help_text="1路局 2站段 3车间 4班组")
    depot_id = serializers.IntegerField(allow_null=True, help_text="所属站段（单位排名按站段）")


class JobTypeRefOutput(CodedRefOutput):
    business_system = CodedRefOutput()


class WorkerOutput(serializers.Serializer):
    """A worker as a clerk's app looks one up: enough to pick the right person and enter their work."""

    id = serializers.IntegerField()
    employee_no = serializers.CharField(help_text="工号")
    name = serializers.CharField(help_text="姓名")
    gender = serializers.CharField(help_text="M 男 / F 女")
    id_number = serializers.CharField(source="id_number_masked", help_text="身份证号（脱敏：前6位与后4位）")
    mobile = serializers.CharField(source="mobile_masked", help_text="手机号（脱敏：138****1234）")
    unit = UnitRefOutput()
    job_type = JobTypeRefOutput()
    skill_grade = serializers.IntegerField(help_text="新八级工：1学徒工 … 8首席技师")
    is_active = serializers.BooleanField(help_text="是否在职")


class MyWorkerOutput(WorkerOutput):
    skill_grade_label = serializers.CharField(source="get_skill_grade_display")
    membership_status = serializers.CharField(
        help_text="会籍：none 未入会 / applied 已申请 / member 会员 / left 已退会")
    membership_label = serializers.CharField(source="get_membership_status_display")
    member_card_no = serializers.CharField(allow_null=True, help_text="会员互助服务卡号")
    joined_on = serializers.DateField(allow_null=True, help_text="入会日期")


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="登录名（职工为工号）")
    roles = serializers.ListField(
        child=serializers.ChoiceField(["worker", "clerk", "reviewer", "staff", "union"]),
        help_text="角色：worker 职工、clerk 单位录入员、reviewer 业务部门审核员、staff 工会干部、"
                  "union 基层工会干部（审批所负责单位的入会申请）")
    worker = MyWorkerOutput(allow_null=True, help_text="本人的职工档案；非职工账号为 null")
    clerk_units = CodedRefOutput(many=True, help_text="录入员负责的单位（含下级单位）")
    reviewer_systems = CodedRefOutput(many=True, help_text="审核员负责的业务系统")
    union_units = CodedRefOutput(many=True, help_text="基层工会干部负责的单位（含下级单位）")


class UnitOutput(UnitRefOutput):
    parent_id = serializers.IntegerField(allow_null=True, help_text="上级单位；路局为 null")
    region = serializers.CharField(help_text="地区：BJ 北京 / TJ 天津 / HE 河北")
    path = serializers.CharField(help_text="从路局到本单位的单位编码路径，如 /BJ/D1/")
    is_active = serializers.BooleanField(help_text="是否启用")


class SkillCertificateOutput(serializers.Serializer):
    """One skill-grade certificate (新八级工); the worker's current grade is their latest certificate's."""

    id = serializers.IntegerField()
    worker = WorkerRefOutput()  # the entries' reference to a worker: 工号 and name, nothing personal
    grade = serializers.IntegerField(help_text="新八级工：1学徒工 … 8首席技师")
    grade_label = serializers.CharField(source="get_grade_display", help_text="等级名称")
    job_type = CodedRefOutput(help_text="评定工种")
    certificate_no = serializers.CharField(help_text="证书编号")
    assessed_on = serializers.DateField(help_text="评定日期")
    issuing_body = serializers.CharField(help_text="发证机构")
