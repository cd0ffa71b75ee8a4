"""/api/v1/: each app's api/urls.py, the OpenAPI schema and its browsable docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.api.errors import not_found_view

app_name = "api"

urlpatterns = [
    path("", include("members.api.urls")),
    path("", include("competitions.api.urls")),
    path("", include("reviews.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[],
                                                 authentication_classes=[]), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[],
                                                authentication_classes=[]), name="redoc"),
    # Anything else under /api/v1/ answers in the API's error format, not with an HTML page.
    re_path(r"^.*$", not_found_view),
]
