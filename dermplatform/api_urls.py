from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dermplatform.accounts.views import TokenApi, TokenRevokeAllApi, TokenRevokeApi

# DRF authenticates API requests itself (session or token) and answers 401/403;
# dermplatform.middleware keeps the page login redirect off /api/.
urlpatterns = [
    path("token/", TokenApi.as_view(), name="api_token"),
    path("token/revoke/", TokenRevokeApi.as_view(), name="api_token_revoke"),
    path("token/revoke-all/", TokenRevokeAllApi.as_view(), name="api_token_revoke_all"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # No metadata class: OPTIONS on the docs page is a 405, not the Swagger template rendered without its data.
    # The split view serves its start-up script from ?script, not inline (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema", metadata_class=None), name="api_docs"),
    path("", include("patients.api.urls")),
    path("", include("diagnosis.review.api.urls")),
    path("", include("diagnosis.review.worklist.api_urls")),
    path("", include("diagnosis.reports.api_urls")),
    path("", include("diagnosis.validation.api_urls")),
]
