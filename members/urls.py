from django.contrib.auth import views as auth_views
from django.urls import path

from config.gate import signed_in_page
from members import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", signed_in_page(views.PasswordChangeView.as_view()), name="password_change"),
    path("account/reset/", views.password_reset_by_clerk, name="password_reset_by_clerk"),
    path("no-role/", views.no_role, name="no_role"),
]
