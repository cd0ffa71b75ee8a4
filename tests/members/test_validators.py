import pytest
from django.core.exceptions import ValidationError

from members.validators import (
    id_number_check_digit,
    mask_id_number,
    mask_mobile,
    mask_name,
    normalize_id_number,
    validate_employee_no,
    validate_id_number,
    validate_mobile,
)


def test_a_real_format_id_number_with_its_gb11643_check_digit_is_accepted():
    # 11010519491231002X is the standard's own worked example.
    validate_id_number("11010519491231002X")
    assert id_number_check_digit("11010519491231002") == "X"


def test_a_lowercase_x_check_digit_is_accepted():
    validate_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_check_digit"),
        ("11010519491231002", "id_format"),
        ("1101051949123100211", "id_format"),
        ("11010519491331002X", "id_birth_date"),
        ("ABCDEFGHIJKLMNOPQR", "id_format"),
        ("", "id_format"),
    ],
)
def test_a_bad_id_number_is_refused_with_a_clear_message(value, code):
    with pytest.raises(ValidationError) as error:
        validate_id_number(value)
    assert error.value.code == code
    assert "身份证号" in error.value.messages[0]


@pytest.mark.parametrize("value", ["13912345678", "19912345678"])
def test_mainland_mobile_numbers_are_accepted(value):
    validate_mobile(value)


@pytest.mark.parametrize("value", ["12912345678", "1391234567", "139123456789", "+8613912345678", "abc"])
def test_bad_mobile_numbers_are_refused(value):
    with pytest.raises(ValidationError, match="手机号"):
        validate_mobile(value)


def test_masks_hide_birth_date_middle_digits_and_given_name():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_mobile("13912345678") == "139****5678"
    assert mask_name("张三明") == "张*明"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小明") == "欧**明"


def test_an_id_number_typed_in_full_width_is_the_same_number_and_other_digits_are_refused():
    # a Chinese input method types full-width digits: they are the ASCII number, as stored and compared
    typed = "１１０１０５１９４９１２３１００２ｘ"
    assert normalize_id_number(typed) == "11010519491231002X"
    validate_id_number(typed)
    # digits of other scripts pass Python's \d (and int()) but are no ID number
    with pytest.raises(ValidationError) as error:
        validate_id_number("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X")
    assert error.value.code == "id_format"


@pytest.mark.parametrize("value", ["1３８００１３８０００", "1٣800138000"])
def test_a_mobile_number_is_ascii_digits(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


@pytest.mark.parametrize("number", ["11000446", "BJ004411", "q0001", "JD-2024-01"])
def test_an_employee_number_of_letters_digits_and_hyphens_is_valid(number):
    validate_employee_no(number)


@pytest.mark.parametrize("number", ["Q 0001", "Q\u200b0001", "Ｑ０００１", "Q_0001", "工0001", "Q0001 ", "Q0001\n", ""])
def test_an_employee_number_with_anything_else_is_refused_naming_the_employee_number(number):
    with pytest.raises(ValidationError, match="工号"):
        validate_employee_no(number)


@pytest.mark.django_db
def test_a_worker_reads_the_employee_number_as_typed_before_validating_it(f):
    worker = f.worker()
    worker.employee_no = "\u200bＢＪ－００４４１１\u3000"
    worker.full_clean()
    assert worker.employee_no == "BJ-004411"
