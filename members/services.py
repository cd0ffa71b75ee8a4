"""Writes to accounts and the unit tree: a person choosing their own password, the password reset a unit
clerk (or union staff) does for a worker, and moving a unit with its subtree."""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from config.text import typed_code
from members import lockout
from members.models import Unit, UnitLevel, User, Worker
from members.scope import scope_of

logger = logging.getLogger(__name__)

# No 0/O, 1/l/I: the temporary password is read out to the worker or written on a slip of paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@transaction.atomic
def account_password_change(*, user: User, password: str) -> None:
    """The account holder sets their own new password (the portal's page or the API): validated by the
    password rules, it lifts ``must_change_password``. Every API token of the account ends with the old
    password (ApiToken.password_stamp); the caller keeps the current session or issues new tokens."""
    if user.check_password(password):  # a temporary password kept is still the one the clerk knows
        raise ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged")
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


@transaction.atomic
def account_reset_password(*, actor, employee_no: str, password: str = "") -> tuple[Worker, str]:
    """Sets a temporary password on a worker's account (creating the account, username = employee
    number, when the worker has none) and makes them change it at their next login.

    A clerk may do this only for workers of their own units, and never for an account that holds
    any role beyond "worker": a clerk who could reset a reviewer's, another clerk's or staff's
    password could take over that account. An account staff disabled stays disabled: a reset is
    refused rather than letting a clerk undo the decision (staff re-enable it in the admin).

    Returns the worker and the password set (generated when ``password`` is empty) for the page to
    show once; the password is never logged. The account's API tokens end with its old password.
    """
    scope = scope_of(actor)
    if not (scope.is_staff or scope.is_clerk):
        raise PermissionDenied
    # Staff reset any worker's password (administering accounts is theirs); a clerk their units' workers'.
    workers = Worker.objects.all() if scope.is_staff else Worker.objects.enterable_by(actor)
    worker = (workers.select_related("user")
              .filter(employee_no=typed_code(employee_no), is_active=True).first())
    if worker is None:
        raise Worker.DoesNotExist
    account = worker.user
    if account is not None:
        if account.pk == actor.pk:
            raise PermissionDenied(_("不能在这里重置自己的密码，请使用“修改密码”。"))
        if not account.is_active:
            raise PermissionDenied(_("该账号已被工会干部停用，不能重置密码。如需恢复，请联系工会干部。"))
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
        account.save(update_fields=["password", "must_change_password"])
    lockout.clear_account(account.username)
    logger.info("password reset: account %s by user %s", account.pk, actor.pk)
    return worker, password


@transaction.atomic
def unit_move(*, actor, unit: Unit, parent: Unit | None, code: str | None = None) -> Unit:
    """Moves ``unit`` under ``parent`` and/or gives it a new ``code``, carrying its whole subtree along:
    every path below it is rewritten by one UPDATE, and the units below a depot or lower follow it to its
    new depot. Validates before writing, with the model's own rules (Unit.clean: a parent of a higher
    level, not in the unit's subtree; the code's uniqueness and constraints; only a bureau is a root) and
    the paths' column length. Updates ``unit`` in place (parent, code, path, depot) and returns it.
    """
    code = unit.code if code is None else code
    # The moved unit and its new parent, locked in id order: two moves that would each put one under the
    # other wait for each other, and the second sees the first's paths and refuses the cycle.
    locked = {u.pk: u for u in Unit.objects.select_for_update().filter(
        pk__in=[unit.pk] + ([parent.pk] if parent is not None else [])).order_by("pk")}
    stored = locked[unit.pk]
    parent = locked.get(parent.pk) if parent is not None else None
    # ``stored`` keeps its stored path: Unit.clean refuses a parent inside it.
    stored.parent, stored.code, stored.level = parent, code, unit.level
    stored.full_clean()
    old_path, new_path = stored.path, stored.path_under(parent, code)
    if new_path != old_path:
        longest = Unit.objects.filter(path__startswith=old_path).aggregate(n=Max(Length("path")))["n"]
        if longest - len(old_path) + len(new_path) > Unit._meta.get_field("path").max_length:
            raise ValidationError({"parent": _("移动后单位层级路径过长。")})
    depot_id = stored.depot_under(parent)
    # The unit itself is in its subtree (path__startswith its own path): one UPDATE for every path.
    moved = Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)))
    Unit.objects.filter(pk=unit.pk).update(parent=parent, code=code, level=unit.level, depot_id=depot_id)
    if unit.level > UnitLevel.DEPOT:
        # Below a depot everything belongs to the moved unit's (new) depot; a bureau's or a depot's own
        # subtree keeps its depots.
        Unit.objects.filter(path__startswith=new_path).exclude(level=UnitLevel.DEPOT).update(depot_id=depot_id)
    unit.parent, unit.code, unit.path, unit.depot_id = parent, code, new_path, depot_id
    if new_path != old_path:
        logger.info("unit %s moved: %s -> %s (%s units) by user %s", unit.pk, old_path, new_path, moved,
                    getattr(actor, "pk", None))
    return unit
