"""Where issued documents and report files are kept: a private place under MEDIA_ROOT.

Never served by MEDIA_URL (it has no URL at all); a view checks access, logs and streams the
file. An S3-compatible backend can replace it by changing `private_storage`."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self):
        # Read at use, so a test's MEDIA_ROOT (and a worker's, by environment) applies.
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name):
        raise ValueError("private files have no URL; serve them through a view that checks access")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
