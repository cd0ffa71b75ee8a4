"""A worker reads their skill certificates on a phone, in Chinese and in English: each certificate is a small
card of labelled lines, not a table wider than the screen that scrolls inside its box."""

from __future__ import annotations

from datetime import date

import pytest

from members.models import SkillGrade
from members.skills import certificate_create
from tests.browser.conftest import assert_table_fits, cell_label, log_in, switch_to_english

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_reads_their_certificates_on_a_phone_in_both_languages(phone, shot, w):
    certificate_create(actor=w.staff, worker_id=w.alice.pk, grade=SkillGrade.SENIOR, certificate_no="JN-2024-000123",
                       assessed_on=date(2024, 6, 1), issuing_body="北京市职业技能鉴定指导中心")
    log_in(phone, w.alice.employee_no)
    phone.goto("/me/skills/")
    assert "JN-2024-000123" in phone.locator("#my-certificates").inner_text()
    assert_table_fits(phone, "#my-certificates")
    # each value keeps its column's name beside it once the header row is gone
    assert "证书编号" in cell_label(phone.locator("#my-certificates tbody td").nth(2))
    shot(phone, "skills-1-phone-zh")

    switch_to_english(phone)
    assert phone.locator("html").get_attribute("lang") == "en"
    assert_table_fits(phone, "#my-certificates")
    assert "Certificate" in cell_label(phone.locator("#my-certificates tbody td").nth(2))
    shot(phone, "skills-2-phone-en")


def test_union_staff_read_the_certificate_list_on_a_phone_in_both_languages(phone, shot, w):
    certificate_create(actor=w.staff, worker_id=w.alice.pk, grade=SkillGrade.SENIOR, certificate_no="JN-2024-000123",
                       assessed_on=date(2024, 6, 1), issuing_body="北京市职业技能鉴定指导中心")
    log_in(phone, w.staff.username)
    phone.goto("/union/skills/")
    assert "JN-2024-000123" in phone.locator("#certificates").inner_text()
    assert_table_fits(phone, "#certificates")
    switch_to_english(phone)
    assert_table_fits(phone, "#certificates")
    shot(phone, "skills-3-union-list-en")
