"""Chinese first, English through the switch: every portal string has an English translation, and the
committed .mo says what the .po says (a fresh machine needs no gettext)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"
PORTAL_SOURCES = ("templates/", "members/navigation.py", "members/forms.py", "members/views.py",
                  "members/services.py", "competitions/views.py", "reviews/views.py", "config/settings/")


def _unquote(block: str, keyword: str) -> str:
    match = re.search(rf"^{keyword} ((?:\".*\"\n?)+)", block, re.M)
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)) if match else []
    return "".join(parts).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def entries():
    """Each message: msgid, msgstr, references, fuzzy, msgctxt. A message with a plural (ngettext) is given
    once per form, its msgid as (singular, plural, n), n choosing the form."""
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        msgid = _unquote(block, "msgid")
        if msgid:
            refs = " ".join(re.findall(r"^#: (.*)$", block, re.M))
            plural = _unquote(block, "msgid_plural")
            if plural:
                for form, n in ((0, 1), (1, 2)):
                    yield ((msgid, plural, n), _unquote(block, rf"msgstr\[{form}\]"), refs, "#, fuzzy" in block,
                           _unquote(block, "msgctxt"))
                continue
            yield msgid, _unquote(block, "msgstr"), refs, "#, fuzzy" in block, _unquote(block, "msgctxt")


def _translated(msgid, context: str) -> str:
    if isinstance(msgid, tuple):
        return translation.ngettext(*msgid)
    return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def test_every_portal_string_has_an_english_translation():
    portal = [(msgid, msgstr, fuzzy) for msgid, msgstr, refs, fuzzy, _context in entries()
              if any(source in refs for source in PORTAL_SOURCES)]
    assert len(portal) > 150
    assert [msgid for msgid, msgstr, fuzzy in portal if not all(msgstr) or fuzzy] == []


def test_the_compiled_catalog_matches_the_po_file():
    with translation.override("en"):
        # A message with a context (msgctxt) is looked up with it, as pgettext does.
        stale = [msgid for msgid, msgstr, _refs, fuzzy, context in entries()
                 if msgstr and not fuzzy and _translated(msgid, context) != msgstr]
    assert stale == []


@pytest.mark.django_db
def test_the_language_switch_turns_the_portal_english_and_back(client, w):
    client.force_login(w.alice_user)
    assert "我的录入" in client.get(reverse("my_entries")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("my_entries")})
    html = client.get(reverse("my_entries")).content.decode()
    assert '<html lang="en">' in html and "My entries" in html and "我的录入" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的录入" in client.get(reverse("my_entries")).content.decode()


def test_no_template_puts_a_chinese_colon_after_a_translated_label():
    # "{% translate '技能等级' %}：" read "Skill grade：Junior worker" in English: the separator is a string of
    # its own, {% translate "：" %} (English ": "), so each language has its own punctuation.
    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [f"{path.relative_to(templates)}: {match.group(0)}" for path in sorted(templates.rglob("*.html"))
             for match in re.finditer(r'(translate "[^"]*"|endblocktranslate) %}：', path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.django_db
def test_my_page_and_membership_read_english_punctuation_in_english(client, w):
    client.force_login(w.alice_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    me, membership = (client.get(reverse(name)).content.decode() for name in ("me", "my_membership"))
    assert 'Skill grade: <a href="' in me and "：" not in me
    assert "Membership status: <b>" in membership and "：" not in membership
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '技能等级：<a href="' in client.get(reverse("me")).content.decode()
