from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The platform itself, as an app: only for what must happen once Django starts."""

    name = "dermplatform"
    verbose_name = "DermPlatform"

    def ready(self):
        from dermplatform.local_dirs import local_dirs_make

        local_dirs_make()
