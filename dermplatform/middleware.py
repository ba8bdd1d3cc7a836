from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Pages redirect anonymous users to sign in.

    The API is left to Django REST framework, which authenticates by session or
    token inside the view and answers 401/403 (its default permission is
    IsAuthenticated); a token request looks anonymous at this point.
    """

    api_prefix = "/api/"

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(self.api_prefix):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreMiddleware:
    """No page or API answer is kept by a browser or a proxy: they carry patient data (image bytes included),
    and a shared computer's cache or back button must not show it after sign-out. Static files stay cacheable
    (WhiteNoise serves them before this in production; the finders in development)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(self.static_prefix):
            response["Cache-Control"] = "private, no-store"
        return response
