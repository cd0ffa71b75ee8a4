"""Validators for personal data (resident ID numbers, GB 11643-1999; mainland mobile numbers) and 工号."""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# ASCII digits: \d also takes full-width and other Unicode digits, which would be stored as typed (a second
# spelling of the same number) or fail the check digit with a misleading message.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# ASCII letters and digits and '-': a full-width, spaced or zero-width-joined number would be a second
# spelling of one the clerks type, which no lookup (config.text.typed_code) finds.
# Also read by PostgreSQL (members.employee_numbers finds the numbers stored before the rule): keep it a
# pattern both engines read alike.
EMPLOYEE_NO_PATTERN = r"^[A-Za-z0-9-]+$"
_EMPLOYEE_NO_RE = re.compile(EMPLOYEE_NO_PATTERN)


def id_number_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """As stored: full-width digits and Ｘ (typed with a Chinese input method) as ASCII, x as X."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


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


def validate_employee_no(value: str) -> None:
    """A 工号 as stored: letters, digits and '-' only. Worker.clean_fields has already read it as typed
    (config.text.typed_code: full-width forms as ASCII, invisible format characters and the spaces around it
    dropped), so what is refused here is a space inside it, or a character no number has."""
    if not _EMPLOYEE_NO_RE.fullmatch(value or ""):  # fullmatch: "$" alone lets a final newline through
        raise ValidationError(_("工号只能由字母、数字和“-”组成，不能含空格或其他字符。"), code="employee_no_format")


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


def birth_date_of(id_number: str) -> date:
    """The birth date an ID number carries (digits 7-14); call after validate_id_number."""
    value = normalize_id_number(id_number)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


# The mutual-aid service card is a co-branded bank card (工会会员服务卡): its number is a payment card number
# (ISO/IEC 7812), 16 to 19 digits whose last digit is the Luhn check digit of the others. The issuer
# assigns it; the check catches a mistyped digit or two swapped neighbours before the number is saved.
_CARD_RE = re.compile(r"^[0-9]{16,19}$")  # ASCII digits: \d takes full-width ones, the database does not


def normalize_card_number(value: str) -> str:
    """Spaces and dashes as printed on the card are dropped: 6222 0212 3456 7890 123."""
    return re.sub(r"[\s-]", "", value or "")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def validate_card_number(value: str) -> None:
    value = normalize_card_number(value)
    if not _CARD_RE.match(value):
        raise ValidationError(_("卡号应为16到19位数字。"), code="card_format")
    if not luhn_ok(value):
        raise ValidationError(_("卡号校验位不正确，请核对。"), code="card_check_digit")


def mask_card_number(value: str) -> str:
    """************0123: the last four only, as a bank's statement shows a card."""
    if not value:
        return ""
    return "*" * (len(value) - 4) + value[-4:]
