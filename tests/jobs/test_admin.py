"""The Jobs admin: who sees which job and its files, cancelling, and constant query counts."""

import datetime
import re

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobKind, JobStatus
from jobs.services import job_cancel
from tests.conftest import patron_user_create
from tests.customers.factories import ChannelFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:jobs_job_changelist")


def _job(user, *, channel=None, status=JobStatus.DONE, result="a,b\n"):
    job = Job.objects.create(
        kind=JobKind.EXPORT, created_by=user, channel=channel, status=status, rows_done=1
    )
    if result:
        job.result_file.save("customers.csv", ContentFile(result.encode()))
    return job


def _download_url(job, which="result"):
    return reverse("admin:jobs_job_download", args=[job.pk, which])


def _listed(client) -> set[int]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {job.pk for job in response.context["cl"].result_list}


@pytest.fixture
def others(db):
    """Jobs of another staff member on channels web and shop, and one over all channels."""
    web, shop = ChannelFactory(code="web"), ChannelFactory(code="shop")
    author = patron_user_create("author", is_staff=True)
    return {
        "web": _job(author, channel=web),
        "shop": _job(author, channel=shop),
        "all": _job(author),
        "channels": (web, shop),
    }


def test_staff_see_their_own_jobs_only_without_the_view_permission(client, staff_user, others):
    mine = _job(staff_user)
    client.force_login(staff_user)

    assert _listed(client) == {mine.pk}
    assert client.get(_download_url(mine)).status_code == 200
    assert client.get(_download_url(others["web"])).status_code == 404
    assert client.get(reverse("admin:jobs_job_change", args=[others["web"].pk])).status_code == 302


def test_the_view_permission_shows_the_jobs_of_the_users_channels(client, staff_user, others):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(staff_user)
    assert _listed(client) == {others["web"].pk, others["shop"].pk, others["all"].pk}

    web, _ = others["channels"]
    web.api_users.add(staff_user)
    assert _listed(client) == {others["web"].pk}
    assert client.get(_download_url(others["web"])).status_code == 200
    assert client.get(_download_url(others["shop"])).status_code == 404
    assert client.get(_download_url(others["all"])).status_code == 404


def test_download_names_the_file_and_refuses_unknown_or_missing_files(staff_client, staff_user):
    job = _job(staff_user, result="x,y\n1,2\n")

    response = staff_client.get(_download_url(job))

    assert response["Content-Disposition"] == 'attachment; filename="customers.csv"'
    assert b"".join(response.streaming_content) == b"x,y\n1,2\n"
    assert staff_client.get(_download_url(job, "errors")).status_code == 404
    assert staff_client.get(_download_url(job, "secrets")).status_code == 404


def test_the_detail_page_shows_progress_links_and_a_cancel_button(staff_client, staff_user):
    running = _job(staff_user, status=JobStatus.RUNNING)
    running.rows_total = 5
    running.save()
    page = staff_client.get(reverse("admin:jobs_job_change", args=[running.pk])).content.decode()

    assert "1 / 5" in page
    assert _download_url(running) in page
    assert 'id="job-cancel"' in page
    assert 'http-equiv="refresh"' in page


def test_cancel_button_cancels_a_queued_job_for_good(staff_client, staff_user):
    job = _job(staff_user, status=JobStatus.QUEUED, result="")

    response = staff_client.post(reverse("admin:jobs_job_cancel", args=[job.pk]))
    job.refresh_from_db()

    assert response.status_code == 302
    assert (job.status, job.finished) == (JobStatus.CANCELLED, True)
    assert staff_client.get(reverse("admin:jobs_job_cancel", args=[job.pk])).status_code == 405
    assert job_cancel(job=job) is False


def test_cancel_action_skips_other_peoples_jobs_without_the_change_permission(
    client, staff_user, others
):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_job"))
    mine = _job(staff_user, status=JobStatus.RUNNING)
    theirs = others["all"]
    Job.objects.filter(pk=theirs.pk).update(status=JobStatus.RUNNING)
    client.force_login(staff_user)

    response = client.post(
        CHANGELIST,
        {
            "action": "jobs_cancel",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(mine.pk), str(theirs.pk)],
        },
    )

    assert response.status_code == 302
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert (statuses[mine.pk], statuses[theirs.pk]) == (JobStatus.CANCELLED, JobStatus.RUNNING)


def test_the_jobs_admin_is_read_only(staff_client, staff_user):
    job = _job(staff_user)

    assert staff_client.get(reverse("admin:jobs_job_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:jobs_job_change", args=[job.pk]), {"status": "queued"}
    )
    assert response.status_code == 403
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE


@pytest.mark.parametrize("count", [1, 8])
def test_changelist_query_count_does_not_grow_with_jobs(
    staff_client, staff_user, django_assert_num_queries, count
):
    web = ChannelFactory(code="web")
    for _ in range(count):
        _job(staff_user, channel=web)

    # Session, user, its two permission sets, whether it is limited to some channels (the
    # sidebar's channel permissions), the count, the page (jobs with user and channel).
    with django_assert_num_queries(7):
        response = staff_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == count


def test_a_running_jobs_page_shows_share_rate_and_time_left(staff_client, staff_user):
    # given: a quarter done in 10 seconds
    job = _job(staff_user, status=JobStatus.RUNNING)
    job.rows_total, job.rows_done = 1000, 250
    job.started_at = timezone.now() - datetime.timedelta(seconds=10)
    job.save()

    page = staff_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()

    # then: 25 rows/s, 750 rows to go: about 30 s (a little slower: the clock moved on)
    assert '<progress class="job-progress" max="100" value="25"></progress>' in page
    shown = re.search(r"250 / 1,000 \(25%\) · (\d+) rows/s · about (\d+) s left", page)
    rate, left = int(shown[1]), int(shown[2])
    assert 15 <= rate <= 25
    assert 30 <= left <= 50
    assert abs(left - 750 / rate) <= 2
    assert 'http-equiv="refresh"' in page


def test_a_finished_job_shows_its_rate_and_no_time_left(staff_user):
    job = _job(staff_user, status=JobStatus.DONE)
    job.rows_total, job.rows_done = 100, 100
    job.started_at = timezone.now() - datetime.timedelta(seconds=4)
    job.finished_at = job.started_at + datetime.timedelta(seconds=2)

    assert job.progress == "100 / 100 (100%) · 50 rows/s"


def test_progress_without_a_total(staff_user):
    job = _job(staff_user, status=JobStatus.QUEUED)

    assert (job.progress, job.percent, job.seconds_left) == ("1 / ?", None, None)
