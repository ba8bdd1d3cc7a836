from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Clinic, User
from .services import sign_in_unlock


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
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in (forget failed attempts)")
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            sign_in_unlock(by=request.user, username=user.get_username())
        self.message_user(request, f"Sign-in unlocked for {queryset.count()} user(s).", messages.SUCCESS)


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
