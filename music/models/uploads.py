"""A streaming-history upload: its files, stored until the background job has read them, and its progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.db import models, transaction
from django.utils import timezone

from music.jobs import BackgroundJob


def _stored_name(instance: HistoryUploadFile, filename: str) -> str:
    """A name of our own under MEDIA_ROOT: the person's file name is kept in the row, never used as a path."""
    return f"history-uploads/{uuid.uuid4().hex}"


class HistoryUpload(BackgroundJob):
    """One upload of Spotify's account-data export, imported in the background (music.streaming_history.run_upload)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    BUSY_MESSAGE = "An upload of yours is still being imported: wait until it finishes, then upload the next."

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="history_uploads")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    plays_added = models.PositiveIntegerField(default=0)
    new_track_ids = models.JSONField(default=list, blank=True, help_text="Tracks the upload created (features wanted).")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "history upload"

    def __str__(self) -> str:
        return f"History upload of {self.user}: {self.get_status_display()}"

    @classmethod
    def latest_of(cls, user) -> HistoryUpload | None:
        """The user's most recent upload, if any (what My music shows)."""
        return cls.objects.filter(user=user).first()

    @classmethod
    def request(cls, user, files: list[File]) -> HistoryUpload | None:
        """Store the files and queue their import; None (nothing stored) while another upload of theirs runs.

        The user's row is locked so two requests at once cannot both start one.
        """
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            latest = cls.objects.filter(user=user).first()
            if latest is not None and latest.is_active:
                return None
            job = cls.objects.create(user=user, message="Waiting to start…")
            for file in files:
                name = (file.name or "upload").replace("\x00", "")[-200:] or "upload"
                HistoryUploadFile.objects.create(upload=job, name=name, file=file)
        return job

    def begin(self) -> None:
        self.report(0, "Reading your files…", self.Status.RUNNING)

    def finish(self, report) -> None:
        """The import is done: its summary becomes the message."""
        self.status, self.progress, self.finished_at = self.Status.DONE, 100, timezone.now()
        self.message, self.plays_added = report.message()[:300], report.plays_added
        self.new_track_ids = report.new_track_ids
        self.save(update_fields=["status", "progress", "finished_at", "message", "plays_added", "new_track_ids"])

    def fail(self, message: str) -> bool:
        self.finished_at = timezone.now()
        type(self).objects.filter(pk=self.pk).update(finished_at=self.finished_at)
        return super().fail(message)

    def stored_files(self) -> list[StoredFile]:
        """The uploaded files, opened for reading, under the names the person gave them."""
        return [StoredFile(row.name, row.file.open("rb")) for row in self.files.order_by("pk")]

    def delete_files(self) -> None:
        """The files are read (or cannot be): remove them from storage and their rows."""
        for row in self.files.all():
            row.file.close()
            row.file.delete(save=False)
        self.files.all().delete()


class HistoryUploadFile(models.Model):
    """One file of an upload, kept under MEDIA_ROOT until the job has imported it."""

    upload = models.ForeignKey(HistoryUpload, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    file = models.FileField(upload_to=_stored_name, max_length=200)


@dataclass
class StoredFile:
    """A stored upload as music.streaming_history reads it: the person's file name, the stored bytes."""

    name: str
    stream: File

    @property
    def size(self) -> int:
        return self.stream.size

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()

    def seekable(self) -> bool:
        return True
