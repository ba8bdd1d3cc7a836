"""Test helpers for two-factor sign-in: a confirmed authenticator and its real current code."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """What the authenticator app shows now (or offset_steps periods from now)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps):0{device.digits}d}"


def two_factor_verify_session(client, user) -> None:
    """Mark a signed-in test client's session as past the second factor, for users who need one."""
    from dermplatform.accounts.two_factor import two_factor_required

    if not two_factor_required(user):
        return
    device = confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
