"""技能等级证书 in the admin: a read-only list for union staff, searched by 工号 or certificate number."""

from datetime import date

import pytest
from django.urls import reverse

from members.skills import CertificateInput, certificates_add

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:members_skillcertificate_changelist")


@pytest.fixture
def certificates(w, f):
    staff = f.staff_user()
    certificates_add(actor=staff, rows=[
        CertificateInput(worker_id=w.alice.pk, grade=4, job_type_id=w.driver.pk, certificate_no="GJ-2024-0001",
                         assessed_on=date(2024, 6, 1), issuing_body="北京铁路局职业技能鉴定中心"),
        CertificateInput(worker_id=w.bob.pk, grade=5, job_type_id=w.driver.pk, certificate_no="JS-2025-0777",
                         assessed_on=date(2025, 6, 1), issuing_body="北京铁路局职业技能鉴定中心"),
    ])
    return w


def listed(client, query: str = "") -> str:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return response.content.decode()


def test_staff_list_certificates_and_find_them_by_employee_number_or_certificate_number(admin_client, certificates):
    w = certificates
    html = listed(admin_client)
    assert "GJ-2024-0001" in html and "JS-2025-0777" in html and "高级工" in html and "技师" in html
    by_worker = listed(admin_client, f"?q={w.bob.employee_no}")
    assert "JS-2025-0777" in by_worker and "GJ-2024-0001" not in by_worker
    by_number = listed(admin_client, "?q=GJ-2024")
    assert "GJ-2024-0001" in by_number and "JS-2025-0777" not in by_number


def test_certificates_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, certificates):
    from members.models import SkillCertificate

    certificate = SkillCertificate.objects.get(certificate_no="GJ-2024-0001")
    assert admin_client.get(reverse("admin:members_skillcertificate_add")).status_code == 403
    change = admin_client.post(reverse("admin:members_skillcertificate_change", args=[certificate.pk]),
                               {"certificate_no": "X-1", "grade": 8})
    assert change.status_code in (200, 403)
    assert admin_client.post(reverse("admin:members_skillcertificate_delete", args=[certificate.pk]),
                             {"post": "yes"}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.certificate_no == "GJ-2024-0001" and certificate.grade == 4


@pytest.mark.parametrize("who", ["clerk", "reviewer", "worker", "officer"])
def test_no_one_but_staff_opens_the_certificates_admin(client, certificates, f, who):
    w = certificates
    officer = f.user(username="officer")
    officer.union_units.set([w.depot])
    client.force_login({"clerk": w.clerk, "reviewer": w.reviewer, "worker": w.alice_user, "officer": officer}[who])
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and reverse("admin:login") in response.url


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, certificates):
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and reverse("admin:login") in response.url
