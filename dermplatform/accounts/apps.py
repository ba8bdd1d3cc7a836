from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dermplatform.accounts"
    label = "accounts"
    verbose_name = "Accounts and clinics"

    def ready(self):
        from . import sessions  # noqa: F401  (a sign-in starts the session clocks)
        from . import tokens  # noqa: F401  (a password change or deactivation revokes API tokens)
