"""Schemathesis hooks of the fuzz run (tests/api/test_fuzz.py), loaded through SCHEMATHESIS_HOOKS."""

import schemathesis

from config.cursors import MAX_LENGTH as CURSOR_MAX_LENGTH


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # A cursor is a signed position that a response hands out (config/cursors.py): one of the right length
    # that no response made is refused 400 invalid_cursor by design, so no request may carry a made-up one
    # as if it were valid. The empty and overlong ones, which the schema forbids, still go out.
    if case.query and 1 <= len(str(case.query.get("cursor", ""))) <= CURSOR_MAX_LENGTH:
        del case.query["cursor"]
