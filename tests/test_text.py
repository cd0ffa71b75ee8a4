"""config.text: what counts as typed text in a reason, and a download's file name."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from config.stored_text import StoredText
from config.text import FileName, file_name, stripped, typed_code, validate_visible


@pytest.mark.parametrize(("typed", "kept"), [
    ("  补录台账 ", "补录台账"),
    ("\u200b", ""), ("\ufeff\u2060\u200d", ""), ("\u202e\u3000", ""), (None, ""), ("", ""),
    ("\u200b补录\u200b", "补录"),
    ("补\u200b录", "补\u200b录"),  # inside the text it stays: only the ends are trimmed
    ("宋𠮷", "宋𠮷"),
])
def test_stripped_drops_whitespace_and_invisible_characters_at_the_ends(typed, kept):
    assert stripped(typed) == kept


@pytest.mark.parametrize(("typed", "code"), [
    ("１１０００４４６", "11000446"), ("Ｑ０００２", "Q0002"), ("ｑ０００２", "q0002"),  # case is kept
    (" \u3000BJ004411\t", "BJ004411"), ("\u200bBJ004411\ufeff", "BJ004411"), ("ＢＪ－００１", "BJ-001"),
    # a format character shows as nothing wherever it is; a space inside is visible, for the validator to refuse
    ("1100\u200b0446", "11000446"), ("\u200b１１\u2060００\ufeff０４４６\u200d", "11000446"),
    ("BJ\u202e0044\u00ad11", "BJ004411"), ("BJ 0044\u200b11", "BJ 004411"),
    (None, ""), ("\u200b\u3000", ""),
])
def test_a_typed_code_is_read_as_ascii_without_what_surrounds_it(typed, code):
    assert typed_code(typed) == code


@pytest.mark.parametrize(("parts", "suffix", "expected"), [
    (("../证书😀\"; x\\y <b>𠀀</b> \u202e", "表彰名单"), ".xlsx", "..-证书😀-; x-y -b-𠀀-b-_表彰名单.xlsx"),
    (("名单\u202excod.", "荣誉证书"), ".pdf", "名单xcod._荣誉证书.pdf"),
])
def test_a_download_name_keeps_no_path_separator_control_or_direction_override(parts, suffix, expected):
    assert file_name(*parts, suffix=suffix) == expected


def test_a_visible_name_passes_and_an_invisible_one_is_refused():
    validate_visible("北京机务段")
    validate_visible("\u200b北京机务段")  # something shows
    validate_visible("")  # blank is the field's own business (blank=True or required)
    for invisible in ("\u200b", "\ufeff", " \u3000 ", "\u202e\u200d"):
        with pytest.raises(ValidationError):
            validate_visible(invisible)


def test_a_file_name_kept_as_parts_is_worded_in_the_active_language_and_made_safe_in_each():
    name = FileName(("劳动竞赛/2026", StoredText("每日排名"), "2026-12-06", StoredText("全部职工")))
    kept = FileName.from_json(name.as_json())
    assert str(kept) == str(name) == "劳动竞赛-2026_每日排名_2026-12-06_全部职工.xlsx"
    with translation.override("en"):
        assert str(kept) == "劳动竞赛-2026_Daily standings_2026-12-06_All workers.xlsx"
