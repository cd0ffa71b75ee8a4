"""Middleware of the portal that the JSON API (/api/) does without."""

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's flash messages, for the portal's pages only: the API never shows them, and setting up
    their storage is a sizeable part of a cached API response's time. (Its process_response already
    passes over requests without storage.)"""

    def process_request(self, request):
        if not request.path_info.startswith("/api/"):
            super().process_request(request)
