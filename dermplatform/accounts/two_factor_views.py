"""Pages of two-factor sign-in: enter a code, set up an authenticator, and the settings page."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from . import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return request.user.start_url()


@require_http_methods(["GET", "POST"])
def verify(request):
    """After signing in: the code from the authenticator app, or a recovery code."""
    if not user_has_device(request.user):
        return redirect(f"{reverse('two_factor_setup')}?next={_next(request)}")
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.code_verify(request=request, code=form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", "That code is not right, has expired or was used. Try the next one.")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@require_http_methods(["GET", "POST"])
def setup(request):
    """Set up an authenticator app: its key, then its first code; recovery codes are shown once."""
    if user_has_device(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={_next(request)}")
    device = two_factor.totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_confirm(request=request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("code", "That code is not right: check the key and the phone's clock, then try the next one.")
    context = {
        "form": form,
        "secret": two_factor.totp_secret(device),
        "config_url": device.config_url,
        "qr_url": two_factor.totp_qr_data_url(device),
        "next": _next(request),
        "replacing": user_has_device(request.user),
    }
    return render(request, "registration/two_factor_setup.html", context)


@require_http_methods(["GET"])
def settings_page(request):
    user = request.user
    context = {
        "enabled": user_has_device(user),
        "required": user.is_platform_admin or user.is_superuser,
        "codes_left": two_factor.recovery_codes_left(user),
    }
    return render(request, "registration/two_factor_settings.html", context)


@require_POST
def recovery_codes(request):
    if not user_has_device(request.user):
        return redirect("two_factor_settings")
    codes = two_factor.recovery_codes_issue(user=request.user)
    return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": reverse("two_factor_settings")})


@require_POST
def disable(request):
    if request.user.is_platform_admin or request.user.is_superuser:
        messages.error(request, "Administrators must keep two-factor sign-in.")
        return redirect("two_factor_settings")
    two_factor.two_factor_disable(user=request.user)
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("two_factor_settings")
