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
