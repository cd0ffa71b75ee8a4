"""The admin reads in Chinese throughout, screen-reader text and the columns of the standings' ledger included."""

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from competitions.models import RunKind, RunOutcome, StandingRun

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "\n", html)


@pytest.mark.parametrize(("url", "english"), [
    (reverse("admin:index"), ["Model name", "Add link", "Change or view list link"]),
    (reverse("admin:members_user_add"), ["After you’ve created a user"]),
    (reverse("admin:competitions_scoringrule_export"), ["Select all"]),
    (reverse("admin:competitions_standingdigest_changelist"), ["Previous id", "Run id"]),
])
def test_admin_pages_carry_no_english_leftovers(admin_client, url, english):
    text = visible_text(admin_client.get(url).content.decode())

    assert [phrase for phrase in english if phrase in text] == []


def test_a_standings_run_is_named_in_chinese_where_the_admin_shows_it(f):
    run = StandingRun.objects.create(competition=f.competition(), day=date(2026, 3, 1), kind=RunKind.FULL,
                                     requested_kind=RunKind.FULL, outcome=RunOutcome.SUCCEEDED,
                                     started_at=timezone.now())

    assert str(run) == f"#{run.pk} 2026-03-01 全量 成功"


# -- English through the switch ----------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
ADMIN_SOURCES = ("competitions/admin.py", "competitions/admin_standings.py", "competitions/models.py",
                 "members/admin.py", "members/admin_import.py", "members/models.py", "reviews/admin.py",
                 "reviews/models.py", "config/urls.py")
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def python_messages(path: Path):
    """The literal messages of the file's gettext calls (pgettext's second argument)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT and node.args:
            message = node.args[1] if node.func.id.startswith("pgettext") else node.args[0]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                yield message.value


def template_messages(path: Path):
    """{% translate "…" %} and {% blocktranslate %}…{% endblocktranslate %} as gettext sees them ({{ x }} is %(x)s)."""
    text = path.read_text(encoding="utf-8")
    yield from re.findall(r"""{%\s*translate\s+(?:"([^"]*)"|'[^']*')""", text)
    yield from (re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", block)
                for block in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S))


def test_every_admin_string_has_an_english_translation():
    from tests.members.test_i18n import entries

    english = {msgid: msgstr for msgid, msgstr, _refs, fuzzy, _context in entries() if msgstr and not fuzzy}
    messages = {message for source in ADMIN_SOURCES for message in python_messages(ROOT / source)}
    messages |= {message for path in (ROOT / "templates" / "admin").rglob("*.html")
                 for message in template_messages(path)}
    chinese = sorted(message for message in messages if re.search(r"[\u4e00-\u9fff]", message))

    assert len(chinese) > 150
    assert [message for message in chinese if message not in english] == []


@pytest.mark.parametrize("url", [reverse("admin:index"), reverse("admin:reviews_workentry_changelist"),
                                 reverse("admin:competitions_scoringrule_changelist"),
                                 reverse("admin:members_unit_tree"), reverse("admin:competitions_standingrun_changelist")])
def test_the_admin_switched_to_english_shows_no_chinese_of_its_own(admin_client, url):
    admin_client.post(reverse("set_language"), {"language": "en", "next": url})

    text = visible_text(admin_client.get(url).content.decode())

    # The language menu names 简体中文 in Chinese, as language menus do.
    assert re.findall(r"[^\n]*[\u4e00-\u9fff][^\n]*", text.replace("简体中文", "")) == []


def test_an_import_file_without_rows_is_refused_in_chinese(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    empty = SimpleUploadedFile("规则.csv", "劳动竞赛,工种编码,量化指标\n".encode("utf-8-sig"), content_type="text/csv")
    response = admin_client.post(reverse("admin:competitions_scoringrule_import"),
                                 {"format": "1", "resource": "0", "import_file": empty})

    page = response.content.decode()
    assert "文件中没有可导入的数据。" in page and "No valid data" not in page


def test_an_export_without_columns_is_refused_in_chinese(admin_client):
    response = admin_client.post(reverse("admin:competitions_scoringrule_export"), {"format": "1", "resource": "0"})

    page = response.content.decode()
    assert "请至少选择一列再导出。" in page and "ScoringRuleResource" not in page
