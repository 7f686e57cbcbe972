"""The task functions the engine runs (Django's Tasks API: any configured backend).

Arguments are JSON (a job's id): the Job row holds everything else, so a task can run on any
worker machine that reaches the database and the file storage.
"""

from django.conf import settings
from django_tasks import task

from jobs.runners import job_execute


@task(queue_name=settings.TASK_QUEUE)
def job_run(job_id: int) -> None:
    """Run one background job (see jobs.runners)."""
    job_execute(job_id)
