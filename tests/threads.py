"""Run a test's writers at once, each thread on its own database connection."""

import threading

from django.db import connection


def threads_run(work, count: int) -> list:
    """Start work(index) in `count` threads released together; return what each returned.

    Fails the test if any thread raised.
    """
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [], errors
    return results
