from django.urls import path

from ukbot.auth.api import mfa, views

app_name = "auth"

urlpatterns = [
    path("auth/login", views.AuthLoginApi.as_view(), name="login"),
    path("auth/refresh", views.AuthRefreshApi.as_view(), name="refresh"),
    path("auth/telegram", views.AuthTelegramApi.as_view(), name="telegram"),
    path("auth/logout", views.AuthLogoutApi.as_view(), name="logout"),
    path("auth/password", views.AuthPasswordChangeApi.as_view(), name="password-change"),
    path("auth/validate", views.AuthValidateApi.as_view(), name="validate"),
    path("auth/sessions", views.AuthSessionListApi.as_view(), name="sessions"),
    path("auth/sessions/<uuid:session_id>", views.AuthSessionRevokeApi.as_view(), name="session-revoke"),
    path("auth/mfa/enable", mfa.AuthMfaEnableApi.as_view(), name="mfa-enable"),
    path("auth/mfa/enable/confirm", mfa.AuthMfaEnableConfirmApi.as_view(), name="mfa-enable-confirm"),
    path("auth/mfa/disable", mfa.AuthMfaDisableApi.as_view(), name="mfa-disable"),
    path("auth/mfa/verify", mfa.AuthMfaVerifyApi.as_view(), name="mfa-verify"),
]
