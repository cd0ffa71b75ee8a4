"""config.stored_text: a text stored with its message id and facts reads in the reader's language."""

from datetime import date

from django.utils import translation

from config.stored_text import Day, Listed, Refusal, StoredText, label_text, shown


def test_a_stored_text_round_trips_through_json_and_words_its_facts_in_the_active_language():
    text = StoredText("您 %(day)s 的申诉已答复（%(status)s）", {"day": Day(date(2026, 11, 5)), "status": StoredText("已答复")})
    data = text.as_json()
    assert data == {"id": "您 %(day)s 的申诉已答复（%(status)s）", "facts": {"day": {"day": "2026-11-05"},
                                                                    "status": {"id": "已答复", "facts": {}}}}
    assert text.written() == "您 2026年11月5日 的申诉已答复（已答复）"
    with translation.override("en"):
        assert shown(data, "stored") == str(text) == "Your dispute of 5 Nov 2026 was answered (Answered)"


def test_a_row_without_facts_or_with_facts_that_do_not_fit_shows_its_stored_words():
    assert shown({}, "旧的说明") == "旧的说明"
    assert shown({"id": "已导入 %(n)s 条录入，待审核。", "facts": {}}, "旧的说明") == "旧的说明"
    assert shown({"facts": {}}, "旧的说明") == "旧的说明"


def test_a_refusal_says_its_message_in_the_active_language_and_keeps_its_id():
    refusal = Refusal("导入文件已过期，请重新上传。")
    assert refusal.text.as_json() == {"id": "导入文件已过期，请重新上传。", "facts": {}}
    with translation.override("en"):
        assert str(refusal) == "The uploaded file has expired; upload it again."


def test_a_choices_label_is_kept_as_its_message_id_whatever_the_language_it_was_read_in():
    from reviews.models import EntryStatus

    with translation.override("en"):
        label = label_text(EntryStatus.APPROVED.label)
        assert label.as_json() == {"id": "已通过", "facts": {}} and str(label) == str(EntryStatus.APPROVED.label)
    assert label.written() == "已通过"


def test_listed_facts_are_joined_in_the_readers_way_and_round_trip_through_json():
    text = StoredText("缺少列：%(cols)s。请使用下载的模板。", {"cols": Listed(("工号", StoredText("已通过")), "、")})
    data = text.as_json()
    assert data["facts"] == {"cols": {"list": ["工号", {"id": "已通过", "facts": {}}], "separator": "、"}}
    assert text.written() == shown(data, "stored") == "缺少列：工号、已通过。请使用下载的模板。"
    with translation.override("en"):
        assert shown(data, "stored").startswith("Missing columns: 工号, Approved.")


def test_a_stored_text_that_states_a_count_reads_in_the_form_for_that_count():
    def imported(n):
        return StoredText("已导入 %(n)s 条录入，待审核。", {"n": str(n)}, plural="已导入 %(n)s 条录入，待审核。", count=n)

    data = imported(1).as_json()
    assert data == {"id": "已导入 %(n)s 条录入，待审核。", "facts": {"n": "1"}, "plural": "已导入 %(n)s 条录入，待审核。",
                    "count": 1}
    assert imported(1).written() == "已导入 1 条录入，待审核。"
    assert imported(2).written() == "已导入 2 条录入，待审核。"
    with translation.override("en"):
        assert shown(data, "stored") == "Imported 1 entry, pending review."
        assert shown(imported(2).as_json(), "stored") == "Imported 2 entries, pending review."
        # A result stored before the count was kept reads as it did then, in the plural form.
        assert shown({"id": "已导入 %(n)s 条录入，待审核。", "facts": {"n": "3"}}, "stored") == "Imported 3 entries, pending review."
        # A message with no English is shown as its Chinese id, as before.
        assert str(StoredText("没有英文的消息")) == "没有英文的消息"
