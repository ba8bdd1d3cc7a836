from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dermplatform.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import receivers  # noqa: F401  (sign-in, sign-out, failed sign-in, lockout)
