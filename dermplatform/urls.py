from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.http import HttpResponsePermanentRedirect

from dermplatform.accounts import two_factor_views
from dermplatform.accounts.views import SignInView, home, session_status
from dermplatform.health import healthz

@login_not_required
def favicon(request):
    # static() per request, not at import: in production it reads collectstatic's manifest.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Pages without an icon link (the admin's) make browsers ask for /favicon.ico.
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", login_not_required(SignInView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/session/", session_status, name="session_status"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/two-factor/", two_factor_views.settings_page, name="two_factor_settings"),
    path("accounts/two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("accounts/two-factor/recovery-codes/", two_factor_views.recovery_codes, name="two_factor_recovery_codes"),
    path("accounts/two-factor/disable/", two_factor_views.disable, name="two_factor_disable"),
    path("admin/", admin.site.urls),
    path("", include("patients.urls")),
    path("review/", include("diagnosis.urls")),
    path("", include("diagnosis.review.attention_urls")),
    path("", include("diagnosis.review.worklist.urls")),
    path("", include("diagnosis.reports.urls")),
    path("", include("diagnosis.validation.urls")),
    path("api/", include("dermplatform.api_urls")),
]

admin.site.site_header = "DermPlatform administration"
admin.site.site_title = "DermPlatform admin"

handler404 = "dermplatform.error_views.page_not_found"
handler500 = "dermplatform.error_views.server_error"
