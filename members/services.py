"""Writes to accounts: the password reset a unit clerk (or union staff) does for a worker."""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from members import lockout
from members.models import User, Worker
from members.scope import scope_of

logger = logging.getLogger(__name__)

# No 0/O, 1/l/I: the temporary password is read out to the worker or written on a slip of paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@transaction.atomic
def account_reset_password(*, actor, employee_no: str, password: str = "") -> tuple[Worker, str]:
    """Sets a temporary password on a worker's account (creating the account, username = employee
    number, when the worker has none) and makes them change it at their next login.

    A clerk may do this only for workers of their own units, and never for an account that holds
    any role beyond "worker": a clerk who could reset a reviewer's, another clerk's or staff's
    password could take over that account. Returns the worker and the password set (generated when
    ``password`` is empty) for the page to show once; the password is never logged.
    """
    scope = scope_of(actor)
    if not (scope.is_staff or scope.is_clerk):
        raise PermissionDenied
    worker = (Worker.objects.enterable_by(actor).select_related("user")
              .filter(employee_no=(employee_no or "").strip(), is_active=True).first())
    if worker is None:
        raise Worker.DoesNotExist
    account = worker.user
    if account is not None:
        if account.pk == actor.pk:
            raise PermissionDenied(_("不能在这里重置自己的密码，请使用“修改密码”。"))
        if account.is_staff or account.is_superuser or account.clerk_units.exists() or \
                account.reviewer_systems.exists():
            raise PermissionDenied(_("该账号还有录入、审核或管理权限，请联系工会干部重置。"))
    password = password or temporary_password()
    if account is None:
        if User.objects.filter(username=worker.employee_no).exists():
            raise PermissionDenied(_("已有同名账号未关联该职工，请联系工会干部处理。"))
        account = User.objects.create_user(username=worker.employee_no, password=password, must_change_password=True)
        worker.user = account
        worker.save(update_fields=["user", "updated_at"])
    else:
        account.set_password(password)
        account.must_change_password = True
        account.is_active = True
        account.save(update_fields=["password", "must_change_password", "is_active"])
    lockout.clear_account(account.username)
    logger.info("password reset: account %s by user %s", account.pk, actor.pk)
    return worker, password
