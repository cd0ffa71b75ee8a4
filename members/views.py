"""Account pages: home, login, the first-login password change, and the clerk's password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from config.gate import portal_view, signed_in_page
from members import lockout
from members.forms import LoginForm, PasswordResetByClerkForm, PortalPasswordChangeForm
from members.models import Worker
from members.navigation import home_url_for
from members.services import account_password_change, account_reset_password


@signed_in_page
def home(request):
    return redirect(home_url_for(request.user))


@signed_in_page
def no_role(request):
    return render(request, "portal/no_role.html")


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.logged_in(self.request, response, form.get_user().get_username())
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Also the first-login page: saving a new password lifts ``must_change_password`` and ends the
    account's API tokens (members.services.account_password_change)."""

    template_name = "members/password_change.html"
    success_url = reverse_lazy("home")
    form_class = PortalPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        try:
            account_password_change(user=form.user, password=form.cleaned_data["new_password1"])
        except ValidationError as refused:  # the service's own rules (a new password equal to the current one)
            form.add_error("new_password2", refused)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, form.user)  # this browser stays signed in; others do not
        messages.success(self.request, _("密码已修改。"))
        return redirect(self.get_success_url())


@sensitive_post_parameters("password")
@never_cache
@portal_view(roles=("clerk", "staff"))
def password_reset_by_clerk(request):
    """A unit clerk sets a temporary password for a worker of their units. The password travels only
    in the POST body and is shown once on the response page (never in a URL, a message or a log)."""
    done = None
    form = PasswordResetByClerkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            worker, password = account_reset_password(actor=request.user, employee_no=form.cleaned_data["employee_no"],
                                                      password=form.cleaned_data["password"])
        except Worker.DoesNotExist:
            form.add_error("employee_no", _("找不到该职工，或该职工不属于您负责的单位。"))
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("不能重置该账号的密码。"))
        else:
            done = {"employee_no": worker.employee_no, "name": worker.name, "password": password}
            form = PasswordResetByClerkForm()
    return render(request, "members/password_reset.html", {"form": form, "done": done})
