"""Import uploads previewed but never imported, and the previews' reports, are deleted by the
scheduler's hourly purge once IMPORT_PREVIEW_RETENTION_HOURS old; an upload a job reads stays."""

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jobs.models import PREVIEW_REPORT_DIR, UPLOAD_DIR, Job, JobKind
from jobs.schedule import purge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Storage of this test's own: other tests' uploads are not this one's to purge."""
    settings.MEDIA_ROOT = str(tmp_path)


def stored(name: str, *, hours_old: float) -> str:
    name = default_storage.save(name, ContentFile(b"email\nana@example.com\n"))
    when = time.time() - hours_old * 3600
    os.utime(default_storage.path(name), (when, when))
    return name


def test_the_hourly_purge_deletes_old_uploads_no_job_took(settings, staff_user):
    # given: uploads of a day ago (one imported by a job), one of an hour ago, and reports
    settings.IMPORT_PREVIEW_RETENTION_HOURS = 24
    previewed = stored(f"{UPLOAD_DIR}/{'a' * 32}/customers.csv", hours_old=25)
    report = stored(f"{PREVIEW_REPORT_DIR}/{'a' * 32}/errors.csv", hours_old=25)
    imported = stored(f"{UPLOAD_DIR}/{'b' * 32}/customers.csv", hours_old=25)
    Job.objects.create(kind=JobKind.IMPORT, created_by=staff_user, input_file=imported)
    recent = stored(f"{UPLOAD_DIR}/{'c' * 32}/customers.csv", hours_old=1)
    recent_report = stored(f"{PREVIEW_REPORT_DIR}/{'c' * 32}/errors.csv", hours_old=1)

    # when
    outcome = purge()

    # then
    assert outcome["uploads"] == 2
    assert not default_storage.exists(previewed)
    assert not default_storage.exists(report)
    assert not os.path.isdir(default_storage.path(f"{UPLOAD_DIR}/{'a' * 32}"))
    for kept in (imported, recent, recent_report):
        assert default_storage.exists(kept)
    assert purge()["uploads"] == 0


def test_the_purge_is_quiet_without_any_upload():
    assert purge()["uploads"] == 0
