from django.conf import settings
from django.db import models


class AttentionSeen(models.Model):
    """When a staff user last opened their "needs attention" list: what was reviewed after it is news to them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} saw the attention list at {self.seen_at:%Y-%m-%d %H:%M}"
