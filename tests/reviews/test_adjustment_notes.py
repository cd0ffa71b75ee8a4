"""An adjustment's note ("调整 <day>：<reason>") is worded by the system: stored in Chinese for the admin, read in
the reader's language on the entry's page, in its history, in the API and in an export; the reason stays as typed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from config.months import previous_month
from reviews.models import EntryAction, EntryEvent, EntryStatus, WorkEntry
from reviews.services import entry_create, entry_note_set
from reviews.workflow import entry_transition
from tests.reviews.test_reports import run_kind, sheet_rows

pytestmark = pytest.mark.django_db

REASON = "多报1公里 (typo)"


@pytest.fixture
def adjusted(w, today, client):
    """An approved entry of last month, adjusted by a clerk whose portal reads English."""
    day = previous_month(today) + timedelta(days=2)
    entry = entry_create(actor=w.clerk, competition=w.comp, worker_id=w.alice.pk, rule_id=w.km.pk, work_date=day,
                         quantity="100")
    entry_transition(actor=w.reviewer, entry=entry, to_status=EntryStatus.APPROVED)
    client.force_login(w.clerk)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("entries:detail", args=[entry.pk]),
                           {"action": "adjust", "quantity": "-1", "reason": REASON})
    adjustment = WorkEntry.objects.get(adjusts=entry)
    assert response.status_code == 302 and response.url == reverse("entries:detail", args=[adjustment.pk])
    return adjustment, day.isoformat()


def test_an_adjustments_note_is_stored_in_chinese_whoever_made_it(adjusted):
    adjustment, day = adjusted
    assert adjustment.note == f"调整 {day}：{REASON}"
    assert adjustment.note_params == {"id": "调整 %(day)s：%(reason)s", "facts": {"day": day, "reason": REASON}}
    created = EntryEvent.objects.get(entry=adjustment, action=EntryAction.CREATED)
    assert created.reason == adjustment.note and created.params == adjustment.note_params


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Adjustment {day}: {reason}"),
    ("zh-hans", "调整 {day}：{reason}"),
])
def test_an_adjustments_note_reads_in_the_readers_language_on_its_page_and_in_the_api(adjusted, client, language,
                                                                                        words):
    adjustment, day = adjusted
    note = words.format(day=day, reason=REASON)
    client.cookies["django_language"] = language
    page = client.get(reverse("entries:detail", args=[adjustment.pk])).content.decode()
    assert f'<p class="muted">{note}</p>' in page  # the note
    assert f"<td>{note}</td>" in page  # its history's 创建 line
    body = client.get(f"/api/v1/entries/{adjustment.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert body["note"] == note
    assert [e["reason"] for e in body["events"] if e["action"] == "created"] == [note]


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Adjustment {day}: {reason}"),
    ("zh-hans", "调整 {day}：{reason}"),
])
def test_the_entry_list_export_writes_an_adjustments_note_in_the_files_language(w, adjusted, language, words):
    adjustment, day = adjusted
    with translation.override(language):  # a job runs in its starter's language (competitions.jobs.job_run)
        _name, book = run_kind("entries_xlsx", {"competition": w.comp.pk}, w.clerk)
    rows = sheet_rows(book, book.sheetnames[0])
    assert [row[12] for row in rows[1:] if row[12]] == [words.format(day=day, reason=REASON)]  # the adjustment's


def test_a_note_changed_in_the_admin_reads_as_typed_and_its_history_line_in_the_readers_language(w, adjusted,
                                                                                                 client):
    adjustment, _day = adjusted
    entry_note_set(actor=w.clerk, entry_id=adjustment.pk, note="手工改的说明")
    adjustment.refresh_from_db()
    assert adjustment.note_params is None
    with translation.override("en"):
        assert adjustment.note_text == "手工改的说明"
    # the history says the note was changed in the admin: stored in Chinese, read in the reader's language
    edited = EntryEvent.objects.get(entry=adjustment, action=EntryAction.EDITED)
    assert edited.reason == "后台修改：说明"
    page = client.get(reverse("entries:detail", args=[adjustment.pk])).content.decode()  # English (the fixture's)
    assert "<td>Note changed in the admin</td>" in page and "后台修改" not in page
