from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dermplatform.audit.models import Action
from dermplatform.audit.services import event_record

from .sessions import seconds_left

LOCKED_OUT_MESSAGE = (
    "Too many failed sign-in attempts: sign-in is locked for {minutes} minutes. "
    "An administrator can unlock the account sooner."
)


def home(request):
    """Send each signed-in user to the start page of their role."""
    return redirect(request.user.start_url())


@require_http_methods(["GET", "POST"])
def session_status(request):
    """How long the session has left. GET is the warning script's check (sent as background: it extends
    nothing); POST is "Stay signed in", an activity like any other request."""
    return JsonResponse({"seconds_left": max(0, seconds_left(request.session))})


def locked_out_message() -> str:
    return LOCKED_OUT_MESSAGE.format(minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: JSON for the API, a page for people."""
    status = 429
    if request.path_info.startswith("/api/"):
        return JsonResponse({"errors": [locked_out_message()]}, status=status)
    return render(request, "registration/locked_out.html", {"message": locked_out_message()}, status=status)


class TokenApi(ObtainAuthToken):
    """A token for a user name and password. After repeated failures for a user name, or from one address,
    sign-in is locked for a while (429), here as on the sign-in page."""

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # django-axes marks the DRF request it was given, which its middleware does not see.
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        event_record(action=Action.TOKEN_ISSUED, actor=user)
        return Response({"token": token.key})
