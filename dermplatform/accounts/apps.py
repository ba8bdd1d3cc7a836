from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dermplatform.accounts"
    label = "accounts"
    verbose_name = "Accounts and clinics"
