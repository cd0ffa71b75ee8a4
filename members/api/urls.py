from django.urls import path

from members.api import notifications, views

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password/", views.PasswordChangeView.as_view(), name="auth-password"),
    path("me/", views.MeView.as_view(), name="me"),
    path("workers/", views.WorkerList.as_view(), name="workers"),
    path("workers/<int:pk>/", views.WorkerDetail.as_view(), name="worker"),
    path("units/", views.UnitList.as_view(), name="units"),
    path("units/<int:pk>/", views.UnitDetail.as_view(), name="unit"),
]

# The message centre (members/api/notifications.py).
urlpatterns += [
    path("me/notifications/", notifications.NotificationList.as_view(), name="notifications"),
    path("me/notifications/unread-count/", notifications.UnreadCount.as_view(), name="notifications-unread"),
    path("me/notifications/read/", notifications.MarkRead.as_view(), name="notifications-read"),
    path("me/notification-settings/", notifications.NotificationSettings.as_view(), name="notification-settings"),
]
