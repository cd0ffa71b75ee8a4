"""JSON out, Chinese kept readable, and never a 500 because of what a request echoed back."""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Everything orjson would write differently from DRF's encoder goes to DRF's encoder's default():
# datetimes/dates/times (DRF's "Z" for UTC), dataclasses (which DRF refuses). Non-str dict keys, ints
# beyond 64 bits and lone surrogates make orjson fail, and then DRF renders the whole body.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default


class SafeJSONRenderer(JSONRenderer):
    """Renders UTF-8 (Chinese as-is), compact, byte for byte as DRF's JSONRenderer does, with orjson
    (a leaderboard page renders in a tenth of the time). A validation error may quote the request's own
    text, e.g. an unknown field whose name holds a lone surrogate that UTF-8 cannot encode; such a body
    is sent with ASCII escapes instead, which is the same JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is not None and self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                out = orjson.dumps(data, default=_default, option=_OPTIONS)
            except orjson.JSONEncodeError:
                pass
            else:
                # As DRF: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
                if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
                    out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
                return out
        return self.render_drf(data, accepted_media_type, renderer_context)

    def render_drf(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            try:
                return super().render(data, accepted_media_type, renderer_context)
            finally:
                self.ensure_ascii = False
