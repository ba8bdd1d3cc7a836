from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from dermplatform.read_only_admin import NoAddOrChangeAdmin

from .models import Clinic, User
from .services import sign_in_unlock
from .tokens import tokens_revoke
from .two_factor import two_factor_disable


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]

    @admin.display(description="Members")
    def member_count(self, clinic):
        return clinic.members.count()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Clinic and role", {"fields": ("role", "clinic")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Clinic and role", {"fields": ("role", "clinic")}),)
    readonly_fields = ["is_staff", "last_login", "date_joined"]
    actions = ["unlock_sign_in", "revoke_api_tokens", "reset_two_factor"]

    @admin.action(description="Unlock sign-in (forget failed attempts)")
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            sign_in_unlock(by=request.user, username=user.get_username())
        self.message_user(request, f"Sign-in unlocked for {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Revoke all API tokens")
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(tokens_revoke(user=user, by=request.user) for user in queryset)
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)

    @admin.action(description="Reset two-factor sign-in (lost phone: they set it up again)")
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor_disable(user=user, by=request.user)
        self.message_user(request, f"Two-factor sign-in reset for {queryset.count()} user(s).", messages.SUCCESS)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BaseAccessAttemptAdmin):
    """django-axes' failed sign-ins, with an action that lifts the lockout of their user names and addresses."""

    actions = [*BaseAccessAttemptAdmin.actions, "unlock"]

    @admin.action(description="Unlock the selected user names and addresses")
    def unlock(self, request, queryset):
        pairs = set(queryset.values_list("username", "ip_address"))
        for username, ip_address in pairs:
            sign_in_unlock(by=request.user, username=username)
            sign_in_unlock(by=request.user, ip_address=ip_address)
        self.message_user(request, f"Unlocked {len(pairs)} user name/address pair(s).", messages.SUCCESS)


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(NoAddOrChangeAdmin):
    """API tokens by user, creation and expiry: never their key, digest or key prefix. Admins revoke them (delete);
    a token is only ever issued to its own user, through /api/token/."""

    list_display = ["user", "created", "expiry", "is_expired"]
    list_filter = ["created", "expiry"]
    search_fields = ["user__username"]
    fields = ["user", "created", "expiry"]
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(boolean=True, description="Expired")
    def is_expired(self, token):
        return token.expiry is not None and token.expiry <= timezone.now()

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = 0
        for user_id in set(queryset.values_list("user_id", flat=True)):
            user = User.objects.get(pk=user_id)
            revoked += tokens_revoke(user=user, by=request.user, tokens=queryset.filter(user=user))
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        tokens_revoke(user=obj.user, by=request.user, tokens=AuthToken.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        self.revoke(request, queryset)


class _DeviceAdmin(NoAddOrChangeAdmin):
    """Two-factor devices by user: never their key or codes. Deleting one is how an admin resets a lost device."""

    list_display = ["user", "name", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields


for _model in (TOTPDevice, StaticDevice):
    admin.site.unregister(_model)
    admin.site.register(_model, _DeviceAdmin)


# Human labels for the third-party models above, in place of "Knox: Auth tokens" or "Otp_Totp: TOTP devices".
# Set on _meta only: migrations read Meta's original attributes, so none of these packages' models changes.
def _label(app_label: str, app_name: str, model, singular: str, plural: str) -> None:
    apps.get_app_config(app_label).verbose_name = app_name
    model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural


_label("knox", "API tokens", AuthToken, "API token", "API tokens")
_label("otp_totp", "Two-factor sign-in: authenticator apps", TOTPDevice, "authenticator app", "authenticator apps")
_label("otp_static", "Two-factor sign-in: recovery codes", StaticDevice, "recovery code set", "recovery code sets")
