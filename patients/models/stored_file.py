from django.db import models


class StoredFile(models.Model):
    """Bytes kept by patients.storage.DatabaseStorage, in the same transaction as the rows that name them."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
