from django.urls import path

from members.api import membership, notifications, views

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
    path("skills/", views.SkillCertificateList.as_view(), name="skill-certificates"),
]

# Union membership (members/api/membership.py).
urlpatterns += [
    path("me/membership/", membership.MyMembership.as_view(), name="me-membership"),
    path("membership/applications/", membership.ApplicationList.as_view(), name="membership-applications"),
    path("membership/applications/approve/", membership.ApplicationApproveMany.as_view(),
         name="membership-applications-approve"),
    path("membership/applications/<int:pk>/", membership.ApplicationDetail.as_view(), name="membership-application"),
    path("membership/applications/<int:pk>/approve/", membership.application_approve,
         name="membership-application-approve"),
    path("membership/applications/<int:pk>/return/", membership.application_return,
         name="membership-application-return"),
    path("membership/applications/<int:pk>/reject/", membership.application_reject,
         name="membership-application-reject"),
    path("membership/members/<int:pk>/", membership.MemberDetail.as_view(), name="membership-member"),
    path("membership/cards/", membership.CardCreate.as_view(), name="membership-cards"),
    path("membership/cards/<int:pk>/status/", membership.CardStatusView.as_view(), name="membership-card-status"),
    path("membership/cards/<int:pk>/replace/", membership.CardReplace.as_view(), name="membership-card-replace"),
]

# The message centre (members/api/notifications.py).
urlpatterns += [
    path("me/notifications/", notifications.NotificationList.as_view(), name="notifications"),
    path("me/notifications/unread-count/", notifications.UnreadCount.as_view(), name="notifications-unread"),
    path("me/notifications/read/", notifications.MarkRead.as_view(), name="notifications-read"),
    path("me/notification-settings/", notifications.NotificationSettings.as_view(), name="notification-settings"),
]
