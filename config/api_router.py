"""/api/v1/: each app's api/urls.py, the OpenAPI schema and its browsable docs."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config.api.errors import not_found_view, read_only_page

# Swagger UI runs under the portal's Content-Security-Policy as it is (the split view serves its start-up
# script as a file). Redoc styles itself by inserting <style> elements, searches in a blob: worker and
# always shows its maker's logo from cdn.redoc.ly: that page, public and without personal data, allows
# those three and nothing else (scripts stay our own).
REDOC_POLICY = {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"], "img-src": ["https://cdn.redoc.ly"]}
redoc = read_only_page(csp_update(REDOC_POLICY)(SpectacularRedocView.as_view(
    url_name="api:schema", template_name="api/redoc.html", permission_classes=[], authentication_classes=[])))

app_name = "api"

urlpatterns = [
    path("", include("members.api.urls")),
    path("", include("competitions.api.urls")),
    path("", include("reviews.api.urls")),
    path("schema/", read_only_page(SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[])),
         name="schema"),
    path("docs/", read_only_page(SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html", permission_classes=[], authentication_classes=[])),
         name="docs"),
    path("redoc/", redoc, name="redoc"),
    # Anything else under /api/v1/ answers in the API's error format, not with an HTML page.
    re_path(r"^.*$", not_found_view),
]
