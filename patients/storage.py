"""A Django storage backend that keeps file bytes in the database.

Writes happen on the request's connection, so image bytes commit or roll back
together with the case that references them.
"""

import uuid
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


@deconstructible
class DatabaseStorage(Storage):
    def _model(self):
        from patients.models import StoredFile

        return StoredFile

    def _open(self, name, mode="rb"):
        try:
            row = self._model().objects.only("content").get(name=name)
        except self._model().DoesNotExist:
            raise FileNotFoundError(name) from None
        content = ContentFile(bytes(row.content), name=name)
        return content

    def _save(self, name, content):
        content.seek(0)
        data = content.read()
        self._model().objects.create(name=name, content=data, size=len(data))
        return name

    def get_available_name(self, name, max_length=None):
        # Names carry a random component, so collisions are not retried by scanning.
        path = PurePosixPath(name)
        if self.exists(name):
            name = str(path.with_name(f"{path.stem}-{uuid.uuid4().hex[:8]}{path.suffix}"))
        return name

    def exists(self, name):
        return self._model().objects.filter(name=name).exists()

    def delete(self, name):
        self._model().objects.filter(name=name).delete()

    def size(self, name):
        row = self._model().objects.only("size").filter(name=name).first()
        if row is None:
            raise FileNotFoundError(name)
        return row.size

    def url(self, name):
        # Never a public URL: images are served by views that check access first.
        raise NotImplementedError("database-stored images are served through access-checked views")
