"""Which jobs a staff member may see (and so download the files of)."""

from django.db.models import Q, QuerySet

from customers.selectors import user_is_channel_scoped
from jobs.models import Job


def job_list(*, user) -> QuerySet[Job]:
    """Their own jobs, plus, with the `view_job` permission, the other jobs of their
    channels (every job for staff limited to no channel; superusers see all)."""
    jobs = Job.objects.select_related("created_by", "channel")
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return jobs.none()
    if user.is_superuser:
        return jobs
    own = Q(created_by=user)
    if not user.has_perm("jobs.view_job"):
        return jobs.filter(own)
    if user_is_channel_scoped(user):
        return jobs.filter(own | Q(channel__api_users=user))
    return jobs
