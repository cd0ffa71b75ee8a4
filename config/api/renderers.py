"""JSON out, Chinese kept readable, and never a 500 because of what a request echoed back."""

from rest_framework.renderers import JSONRenderer


class SafeJSONRenderer(JSONRenderer):
    """Renders UTF-8 (Chinese as-is). A validation error may quote the request's own text, e.g. an
    unknown field whose name holds a lone surrogate that UTF-8 cannot encode; such a body is sent
    with ASCII escapes instead, which is the same JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            try:
                return super().render(data, accepted_media_type, renderer_context)
            finally:
                self.ensure_ascii = False
