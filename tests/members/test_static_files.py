"""Production serves the stylesheet under a hashed name with far-future caching (WhiteNoise), so a
phone downloads it once; after that a page costs only its HTML."""

import re

from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client


def test_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # as in config.settings.production
    call_command("collectstatic", "--noinput", verbosity=0)
    url = static("portal/portal.css")
    assert re.fullmatch(r"/static/portal/portal\.[0-9a-f]{12}\.css", url)
    response = Client().get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    assert response["Content-Encoding"] == "gzip"
    size = len(b"".join(response.streaming_content))
    assert size < 5_000, size  # the portal's only stylesheet, gzipped
