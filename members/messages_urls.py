"""/messages/: the message centre."""

from django.urls import path

from members import messages_views

app_name = "messages"

urlpatterns = [
    path("", messages_views.message_list, name="list"),
    path("<int:pk>/read/", messages_views.message_read, name="read"),
    path("read-all/", messages_views.message_read_all, name="read_all"),
    path("settings/", messages_views.message_settings, name="settings"),
]
