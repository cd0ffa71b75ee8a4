from django.http import JsonResponse
from django.urls import include, path

CONSTANT = {"status": "ok", "message": "劳动竞赛门户", "numbers": [1, 2, 3, 4, 5]}


def constant(request):
    """The yardstick: a plain Django view returning a constant JSON body, through the same middleware."""
    return JsonResponse(CONSTANT)


urlpatterns = [
    path("bench/constant/", constant),
    path("", include("config.urls")),
]
