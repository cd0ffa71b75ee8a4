"""The admin's date drill-down (``date_hierarchy``), safe from the end of the calendar.

Django builds the drill-down's range from the URL: ``?day__year=9999`` asks for 9999-01-01 up to
10000-01-01, which no date can hold. Django refuses an impossible start (2026-02-30) as a bad filter
(the list answers with ``?e=1``) but not an impossible end, which came back as a server error (500).
"""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class BoundedDateChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:  # the range's end is past 9999-12-31
            raise IncorrectLookupParameters(error) from error


class BoundedDateHierarchyMixin:
    """For every ModelAdmin with a ``date_hierarchy``."""

    def get_changelist(self, request, **kwargs):
        return BoundedDateChangeList
