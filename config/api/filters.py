"""Query filters every app's list endpoints share."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from config.api.serializers import MAX_ID


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number in bigint range (anything else is a 400, not a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (any case), or empty for "no filter". Django's NullBooleanSelect reads any
    other text as "no filter" and ``2`` as true: a typo would silently list everything."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("应为 true 或 false。")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        parsed = {"true": True, "false": False}.get(str(value).lower())
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that refuses anything but the schema's ``true`` and ``false`` (400)."""

    field_class = StrictBooleanField
