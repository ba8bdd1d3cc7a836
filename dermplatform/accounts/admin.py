from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Clinic, User


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
