"""Uploads parked between an import's preview and its confirmation: on disk, never in Redis, at most
PER_USER per account (the oldest dropped), each for at most MAX_AGE_SECONDS."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.parked_uploads import MAX_AGE_SECONDS, PER_USER, park, parked, unpark
from members.models import Unit
from reviews.models import WorkEntry


@pytest.fixture(autouse=True)
def parking(settings, tmp_path):
    settings.PARKED_UPLOADS_DIR = str(tmp_path / "parked")
    return tmp_path / "parked"


def test_a_new_park_beyond_the_bound_drops_that_accounts_oldest_only():
    tokens = [park(user_id=1, name=f"{n}.csv", content=b"x" * n) for n in range(PER_USER + 1)]
    other = park(user_id=2, name="other.csv", content=b"y")
    assert parked(user_id=1, token=tokens[0]) is None
    assert [parked(user_id=1, token=t) for t in tokens[1:]] == [(f"{n}.csv", b"x" * n) for n in range(1, PER_USER + 1)]
    assert parked(user_id=2, token=other) == ("other.csv", b"y")


def test_an_expired_file_reads_as_gone_and_the_next_park_deletes_it(parking):
    token = park(user_id=1, name="a.csv", content=b"a")
    old = time.time() - MAX_AGE_SECONDS - 1
    os.utime(parking / "1" / token, (old, old))
    assert parked(user_id=1, token=token) is None
    park(user_id=2, name="b.csv", content=b"b")
    assert not (parking / "1" / token).exists()


def test_a_token_is_read_only_by_its_account_and_never_as_a_path(parking):
    token = park(user_id=1, name="a.csv", content=b"a")
    assert parked(user_id=2, token=token) is None
    assert parked(user_id=1, token=f"../1/{token}") is None
    unpark(user_id=1, token=token)
    assert parked(user_id=1, token=token) is None


@pytest.fixture
def day(today):
    return today - timedelta(days=1)


def csv_upload(w, day, name="e.csv"):
    content = f"工号,姓名,工作日期,计分指标,工作量,说明\n{w.alice.employee_no},,{day},安全走行公里,5,\n".encode()
    return SimpleUploadedFile(name, content)


@pytest.mark.django_db
def test_an_entry_import_preview_parks_its_file_on_disk_not_in_the_cache(client, w, day, parking):
    client.force_login(w.clerk)
    response = client.post(reverse("entries:import"), {"file": csv_upload(w, day)})
    token = response.context["preview"]["token"]
    assert (parking / str(w.clerk.pk) / token).exists()
    client.post(reverse("entries:import_confirm"), {"token": token})
    assert WorkEntry.objects.get().source == "import"
    assert not (parking / str(w.clerk.pk) / token).exists()  # confirmed: taken off the disk


@pytest.mark.django_db
def test_a_clerks_third_preview_expires_the_first(client, w, day):
    client.force_login(w.clerk)
    tokens = [client.post(reverse("entries:import"), {"file": csv_upload(w, day)}).context["preview"]["token"]
              for _ in range(PER_USER + 1)]
    response = client.post(reverse("entries:import_confirm"), {"token": tokens[0]}, follow=True)
    assert "导入文件已过期" in response.content.decode() and not WorkEntry.objects.exists()
    client.post(reverse("entries:import_confirm"), {"token": tokens[-1]})
    assert WorkEntry.objects.count() == 1


@pytest.mark.django_db
def test_an_admin_import_preview_is_parked_for_the_staff_member_and_then_confirmed(admin_client, admin_user, parking):
    upload = SimpleUploadedFile("units.csv", "单位编码,单位名称,层级,地区,上级单位编码,启用\nPK1,停放测试局,路局,北京,,是\n".encode())
    preview = admin_client.post(reverse("admin:members_unit_import"),
                                {"import_file": upload, "format": "1", "resource": "0"})
    form = preview.context["confirm_form"]
    assert [p.name for p in (parking / str(admin_user.pk)).iterdir()] == [form.initial["import_file_name"]]
    done = admin_client.post(reverse("admin:members_unit_process_import"),
                             {name: form.initial[name] for name in form.fields if name in form.initial})
    assert done.status_code == 302 and Unit.objects.filter(code="PK1").exists()
    assert not list((parking / str(admin_user.pk)).iterdir())
