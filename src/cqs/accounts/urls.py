from django.urls import path

from cqs.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("vneid/login/", views.vneid_login, name="vneid-login"),
    path("vneid/callback/", views.vneid_callback, name="vneid-callback"),
    path("2fa/", views.two_factor_verify, name="2fa-verify"),
    path("2fa/setup/", views.two_factor_setup, name="2fa-setup"),
]
