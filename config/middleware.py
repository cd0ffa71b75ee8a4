"""Middleware of the portal that the JSON API (/api/) does without."""

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.core.exceptions import BadRequest
from django.urls import reverse


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's flash messages, for the portal's pages only: the API never shows them, and setting up
    their storage is a sizeable part of a cached API response's time. (Its process_response already
    passes over requests without storage.)"""

    def process_request(self, request):
        if not request.path_info.startswith("/api/"):
            super().process_request(request)


class AdminParametersMiddleware:
    """Query strings the admin's own code fails on with a 500, refused here with a 400, for every change
    list at once (the portal's pages have their gate, config.gate):

    - a NUL character in the query string or a posted form (``?status=%00``): a change list filtered on a
      text column with one failed in PostgreSQL, which cannot hold NUL in text;
    - a date drill-down (``date_hierarchy``: ``?day__year=…``) with a number too big for a date: Django
      turns a bad year into its "incorrect lookup" redirect only when ``datetime()`` raises ValueError, and
      ``?day__year=9223372036854775808`` raises OverflowError instead. A year, month or day has at most
      DRILL_DOWN_DIGITS digits; a longer one is no date of any list."""

    DRILL_DOWN = ("__year", "__month", "__day")
    DRILL_DOWN_DIGITS = 4

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        if self.prefix is None:
            self.prefix = reverse("admin:index")
        if request.path_info.startswith(self.prefix):
            from config.gate import holds_nul

            if holds_nul(request):
                raise BadRequest("NUL character in the request's parameters")
            if any(key.endswith(self.DRILL_DOWN) and len(value.strip()) > self.DRILL_DOWN_DIGITS
                   for key, values in request.GET.lists() for value in values):
                raise BadRequest("a date drill-down's year, month or day is too long")
        return self.get_response(request)
