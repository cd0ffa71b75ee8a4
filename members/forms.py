"""Forms of the portal's account pages."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.text import typed_code
from members import lockout


class EmployeeNoField(forms.CharField):
    """A 工号 typed on a form, read as config.text.typed_code reads it (full-width digits and letters as ASCII,
    invisible format characters anywhere and whitespace around it dropped) before its length is checked, so every lookup
    by it compares the number the person meant."""

    def to_python(self, value):
        return typed_code(super().to_python(value))


class LockedOutMessageMixin:
    """A login form whose attempt the lockout refused (members/lockout.py) says so, with how long,
    instead of "wrong password"; the failure that reaches a limit already says so."""

    def clean(self):
        # AuthenticationForm.clean, with the password checked through lockout.authenticate (one guess
        # at a time per account).
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = lockout.authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                if getattr(self.request, "axes_locked_out", False):
                    raise ValidationError(lockout.locked_message(self.request), code="locked_out")
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(LockedOutMessageMixin, AuthenticationForm):
    """Employee number (a worker's) or user name (a clerk's, a reviewer's, union staff's) and password; a
    locked account or address gets its own message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("工号/用户名或密码不正确。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("工号或用户名")


class AdminLoginForm(LockedOutMessageMixin, AdminAuthenticationForm):
    """The admin's login, with the same lockout message."""


class PortalPasswordChangeForm(PasswordChangeForm):
    """The portal's password change (also the first-login page). The current password is checked through
    lockout.authenticate, as a login is: wrong guesses count toward the same lockout and a locked account
    is told so, so a session left open on a shared computer is no way to guess the password (the API's
    password change does the same). That the new password differs from the current one is
    account_password_change's rule; the page shows its refusal on this form."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if lockout.authenticate(self.request, username=self.user.get_username(), password=old_password) is None:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout.locked_message(self.request), code="locked_out")
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password



class PasswordResetByClerkForm(forms.Form):
    employee_no = EmployeeNoField(label=_("工号"), max_length=20)
    password = forms.CharField(
        label=_("临时密码"), required=False, strip=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则自动生成。职工首次登录时须修改。"),
    )

    def clean_password(self):
        password = self.cleaned_data.get("password") or ""
        if password:
            validate_password(password)
        return password
