from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dermplatform import slots
from dermplatform.api.exception_handler import busy_headers
from dermplatform.audit.models import Action, Outcome
from dermplatform.audit.services import event_record

from .hashing_slots import HASHING
from .sessions import SIGNED_OUT_REASON, seconds_left, signed_out_message
from .tokens import AuthToken, token_issue, tokens_revoke
from .two_factor import code_check, two_factor_required

LOCKED_OUT_MESSAGE = (
    "Too many failed sign-in attempts: sign-in is locked for {minutes} minutes. "
    "An administrator can unlock the account sooner."
)


class SignInView(LoginView):
    """The sign-in page; after the server ended a session (idle or too old) it says so, once."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET":
            context["signed_out_message"] = signed_out_message(self.request.session.pop(SIGNED_OUT_REASON, None))
        return context


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


def sign_in_busy_record(request) -> None:
    """Audit a sign-in refused while every password-hashing slot was busy. No password was checked (so django-axes
    counts no failure)."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated  # a password change
    event_record(
        action=Action.SIGN_IN_BUSY,
        actor=user if signed_in else None,
        username="" if signed_in else str(request.POST.get("username", "")),
        outcome=Outcome.REFUSED,
        status_code=429,
    )


def sign_in_busy(request, busy: slots.Busy):
    """A sign-in page refused while busy: its status (429) with Retry-After, audited."""
    sign_in_busy_record(request)
    if request.path_info.startswith("/api/"):  # the API's views answer through its exception handler
        response = JsonResponse({"errors": busy.messages}, status=busy.status_code)
    else:
        response = render(request, "registration/sign_in_busy.html",
                          {"message": busy.messages[0], "again": request.get_full_path()}, status=busy.status_code)
    for header, value in busy_headers(busy).items():
        response[header] = value
    return response


class SignInBusyMiddleware:
    """Turns slots.Busy of password hashing, raised by a password hasher wherever a password is checked or set, into
    sign_in_busy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, slots.Busy) and exception.name == HASHING:
            return sign_in_busy(request, exception)
        return None


class TokenInput(AuthTokenSerializer):
    otp_token = serializers.CharField(
        required=False, allow_blank=True, write_only=True,
        help_text="The code of the user's authenticator app (or a recovery code), for users with two-factor sign-in.",
    )


_TokenOutput = inline_serializer(
    "IssuedToken", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)
_WrongCredentials = OpenApiResponse(
    description='Wrong user name or password ("non_field_errors"), or no valid two-factor code for a user who has '
    'two factors ("otp_token"): no token.',
)
_SignInRefused = OpenApiResponse(
    inline_serializer("SignInRefused", {"errors": serializers.ListField(child=serializers.CharField())}),
    description="Sign-in locked after repeated failures, or the server busy with other sign-ins (try again after "
    "the Retry-After header's seconds).",
)


class TokenApi(APIView):
    """A token for a user name and password, valid for DERM_API_TOKEN_HOURS (its expiry is in the answer).
    After repeated failures for a user name, or from one address, sign-in is locked for a while (429), here as on
    the sign-in page. While the server is busy hashing other sign-ins' passwords it answers 429 with Retry-After."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]
    serializer_class = TokenInput

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", {"request": self.request, "view": self})
        return self.serializer_class(*args, **kwargs)

    @extend_schema(request=TokenInput, responses={200: _TokenOutput, 400: _WrongCredentials, 429: _SignInRefused})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            valid = serializer.is_valid()
        except slots.Busy:
            # Answered 429 with Retry-After by the API's exception handler; audited like the sign-in page's.
            sign_in_busy_record(request._request)
            raise
        if not valid:
            # django-axes marks the DRF request it was given, which its middleware does not see.
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if two_factor_required(user) and not code_check(user=user, code=serializer.validated_data.get("otp_token", "")):
            raise ValidationError({"otp_token": ["A valid two-factor code is required for this user."]})
        instance, key = token_issue(user=user)
        return Response({"token": key, "expiry": serializers.DateTimeField().to_representation(instance.expiry)})


class TokenRevokeApi(APIView):
    """Revoke the token this request is made with (sign out of the API)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        tokens_revoke(user=request.user, tokens=AuthToken.objects.filter(pk=request.auth.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllApi(APIView):
    """Revoke every token of this request's user."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
