from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.gate import signed_in_page
from members import membership_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", signed_in_page(views.PasswordChangeView.as_view()), name="password_change"),
    path("account/reset/", views.password_reset_by_clerk, name="password_reset_by_clerk"),
    path("no-role/", views.no_role, name="no_role"),
]

# Union membership: the worker's own page, and the union office's under /union/.
union_patterns = [
    path("", membership_views.application_list, name="applications"),
    path("applications/new/", membership_views.application_new, name="application_new"),
    path("applications/approve/", membership_views.applications_approve, name="applications_approve"),
    path("applications/<int:pk>/", membership_views.application_detail, name="application"),
    path("members/<int:pk>/", membership_views.member_detail, name="member"),
    path("import/", membership_views.import_applications, name="import_applications"),
    path("import/template.xlsx", membership_views.import_applications_template, name="import_applications_template"),
    path("import/<str:token>/bad-rows.csv", membership_views.import_applications_bad_rows,
         name="import_applications_bad_rows"),
    path("cards/import/", membership_views.import_cards, name="import_cards"),
    path("cards/import/template.xlsx", membership_views.import_cards_template, name="import_cards_template"),
    path("cards/import/<str:token>/bad-rows.csv", membership_views.import_cards_bad_rows,
         name="import_cards_bad_rows"),
    path("import/<str:token>/bad-rows.xlsx", membership_views.import_applications_bad_rows, {"fmt": "xlsx"},
         name="import_applications_bad_rows_xlsx"),
    path("cards/import/<str:token>/bad-rows.xlsx", membership_views.import_cards_bad_rows, {"fmt": "xlsx"},
         name="import_cards_bad_rows_xlsx"),
]

urlpatterns += [
    path("me/membership/", membership_views.my_membership, name="my_membership"),
    path("union/", include((union_patterns, "union"))),
]
