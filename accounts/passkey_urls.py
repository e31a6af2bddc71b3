"""django-otp-webauthn's JSON steps under its own namespace ("otp_webauthn", which its
template tags reverse), with the authentication and the registration's last step replaced by
accounts.passkey_views. Mounted at /accounts/two-step/passkeys/ by hms.urls."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.views import BeginCredentialRegistrationView

from accounts import passkey_views

app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        passkey_views.PasskeyRegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        passkey_views.PasskeyAuthenticationBegin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        passkey_views.PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    # The scripts' messages (gettext), as the library's own URLs serve them.
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
