"""Content negotiation with a shortcut for what the app sends: no Accept header, */* or application/json."""

from rest_framework.negotiation import DefaultContentNegotiation

_JSON_ACCEPTS = {None, "*/*", "application/json"}


class ApiContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        # DRF parses the Accept header into media types and matches every renderer against them; for
        # these three values that always picks the first renderer, JSON, with its own media type.
        if (renderers and renderers[0].media_type == "application/json" and not format_suffix
                and request.META.get("HTTP_ACCEPT") in _JSON_ACCEPTS
                and self.settings.URL_FORMAT_OVERRIDE not in request.query_params):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
