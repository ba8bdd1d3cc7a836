"""Two-factor sign-in (django-otp): a TOTP authenticator app and single-use recovery codes.

Admins must have a confirmed authenticator and enter its code after signing in before any page (the admin
included); every other user may turn it on from /accounts/two-factor/, after which they are asked for a code too.
"""

from base64 import b32encode, b64encode

import qrcode
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from dermplatform.audit.models import Action, Outcome
from dermplatform.audit.services import event_record

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def two_factor_required(user) -> bool:
    """Admins always; anyone else once they have set it up."""
    return user.is_platform_admin or user.is_superuser or user_has_device(user)


def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed): one per user, its key kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in (base32, in groups of four)."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code for the phone's camera: SVG drawn on the server (no script, no
    style attribute, nothing sent anywhere)."""
    picture = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=10, border=4)
    return picture.to_string(encoding="unicode")


def totp_qr_data_url(device: TOTPDevice) -> str:
    """The QR code as a data: address for an <img>: no markup of ours marked safe, and an image runs no script."""
    return "data:image/svg+xml;base64," + b64encode(totp_qr_svg(device).encode()).decode()


def recovery_codes_issue(*, user) -> list[str]:
    """New single-use recovery codes (the old ones stop working); shown once, stored as django-otp keeps them."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    event_record(action=Action.RECOVERY_CODES, actor=user)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm an authenticator with its first code: the session counts as verified and recovery codes are
    issued (returned, to be shown once). None when the code is wrong."""
    if not device.verify_token(_digits(code)):
        event_record(action=Action.OTP_FAILED, actor=request.user, outcome=Outcome.DENIED)
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    event_record(action=Action.OTP_DEVICE_ADDED, actor=request.user)
    return recovery_codes_issue(user=request.user)


def code_verify(*, request, code: str):
    """Check a code from the authenticator or a recovery code (used up) and mark the session verified.
    The device that took it, or None (each device throttles repeated failures)."""
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        for device in devices_for_user(request.user, for_verify=True):
            token = _digits(code) if isinstance(device, TOTPDevice) else code
            if token and device.verify_token(token):
                break
        else:
            device = None
    if device is None:
        event_record(action=Action.OTP_FAILED, actor=request.user, outcome=Outcome.DENIED)
        return None
    otp_login(request, device)
    event_record(action=Action.OTP_VERIFIED, actor=request.user, object_type=type(device).__name__.lower()[:20])
    return device


def code_check(*, user, code: str) -> bool:
    """A code for a request without a session (POST /api/token/): checked, not remembered."""
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            token = _digits(code) if isinstance(device, TOTPDevice) else code
            if token and device.verify_token(token):
                return True
    event_record(action=Action.OTP_FAILED, actor=user, outcome=Outcome.DENIED)
    return False


def two_factor_disable(*, user, by=None) -> int:
    """Remove every authenticator and recovery code of the user (a lost phone: an admin does it)."""
    deleted = 0
    for model in (TOTPDevice, StaticDevice):
        deleted += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    event_record(action=Action.OTP_DEVICE_REMOVED, actor=by or user, object_type="user")
    return deleted


def _digits(code: str) -> str:
    code = (code or "").strip().replace(" ", "")
    return code if code.isdigit() else ""


class TwoFactorMiddleware:
    """After sign-in, a user who needs two factors sees nothing but the code page (or, for an admin without an
    authenticator, its set-up page) until the session is verified. API requests signed in by session get a 403;
    token requests are checked when the token is issued."""

    allowed = {"login", "logout", "session_status", "two_factor_verify", "two_factor_setup", "admin:logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.allowed | {"api_token"}:
            return None
        if not two_factor_required(user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"errors": ["Two-factor verification needed: enter your code on the site."]}, status=403)
        target = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
