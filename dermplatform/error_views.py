"""What a request that reaches no view, or breaks one, is answered with: JSON under /api/ (a client parsing the
API's errors never meets an HTML page, e.g. for a malformed id that matches no route), the site's pages elsewhere.

Django calls these (handler404, handler500 in dermplatform.urls) only when DEBUG is off.
"""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        # Nothing about the failure: the server's log has it, under the request id.
        return JsonResponse({"detail": "Server error: the request was not completed. Try again later."}, status=500)
    return defaults.server_error(request)
