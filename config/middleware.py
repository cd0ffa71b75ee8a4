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


class AdminNulMiddleware:
    """The portal's pages refuse a NUL character in the query string or a posted form (config.gate); the
    admin's pages have no such gate, and a change list filtered on a text column with one (``?status=%00``)
    failed in PostgreSQL, which cannot hold NUL in text: a 500. Refused here the same way, a 400."""

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
        return self.get_response(request)
