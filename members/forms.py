"""Forms of the portal's account pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members import lockout


class LoginForm(AuthenticationForm):
    """Employee number and password; a locked account or address gets its own message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("工号或密码不正确。"),
        "locked_out": _("登录失败次数过多，请15分钟后再试，或联系本单位录入员重置密码。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and lockout.locked_out(self.request, username):
            raise ValidationError(self.error_messages["locked_out"], code="locked_out")
        try:
            return super().clean()
        except ValidationError:
            # The failure that reached the limit: say so now rather than on the next try.
            if username and lockout.locked_out(self.request, username):
                raise ValidationError(self.error_messages["locked_out"], code="locked_out") from None
            raise


class PasswordResetByClerkForm(forms.Form):
    employee_no = forms.CharField(label=_("工号"), max_length=20)
    password = forms.CharField(
        label=_("临时密码"), required=False, strip=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则自动生成。职工首次登录时须修改。"),
    )

    def clean_password(self):
        password = self.cleaned_data.get("password") or ""
        if password:
            validate_password(password)
        return password
