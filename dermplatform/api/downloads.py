"""The headers of every file that carries patient data: the image bytes, heat-maps, reports and exports."""

from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers


def private_download(response: HttpResponseBase, filename: str, *, inline: bool = False) -> HttpResponseBase:
    """Mark `response` as a private file called `filename`: no browser or proxy keeps a copy (NoStoreMiddleware says
    so too), never sniffed as another type, one copy per user. `inline`: shown in the page (an image, sandboxed so
    that it runs nothing), else saved as an attachment."""
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response
