"""Validators for personal data: resident ID numbers (GB 11643-1999) and mainland mobile numbers."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_number_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """An 18-character resident ID: 17 digits, a valid birth date, and the GB 11643 check digit."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise ValidationError(_("身份证号应为18位：17位数字加1位数字或X。"), code="id_format")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birth_date") from None
    if born.year < 1900 or born > date.today():
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birth_date")
    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_check_digit")


def validate_mobile(value: str) -> None:
    if not _MOBILE_RE.match((value or "").strip()):
        raise ValidationError(_("手机号应为以1开头的11位数字。"), code="mobile_format")


def mask_id_number(value: str) -> str:
    """110105********123X: region code and last four, nothing of the birth date."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:]


def mask_name(value: str) -> str:
    """张*明, 李*, for other workers' names on leaderboards."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
