"""Concurrent re-parenting on PostgreSQL: of a → b and b → a sent at once, one wins and the
other is refused as a cycle; the stored tree never holds a loop (SQLite runs one writer at a
time, so it cannot interleave them)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from groups.models import UserGroup
from groups.services import PARENT_CYCLE
from tests.conftest import api_client_for
from tests.groups.factories import UserGroupFactory
from tests.threads import threads_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
]

ROUNDS = 10


def _loop_free() -> bool:
    parents = dict(UserGroup.objects.values_list("pk", "parent_id"))
    for start in parents:
        seen, node = set(), start
        while node is not None:
            if node in seen:
                return False
            seen.add(node)
            node = parents[node]
    return True


def _race(moves: list[tuple[str, str]]) -> list:
    user = get_user_model().objects.filter(username="racer").first() or (
        get_user_model().objects.create_superuser("racer", "racer@example.com", "pw")
    )

    def move(index):
        code, parent = moves[index]
        response = api_client_for(user).patch(f"/api/v1/groups/{code}/", {"parent": parent})
        return response.status_code, response.json()

    return threads_run(move, len(moves))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_to_b_and_b_to_a_at_once_cannot_both_succeed(round_):
    # given
    UserGroupFactory(code="a")
    UserGroupFactory(code="b")

    # when
    results = _race([("a", "b"), ("b", "a")])

    # then
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 400], results
    refused = next(body for status, body in results if status == 400)
    assert refused["parent"][0] in {
        PARENT_CYCLE.format(cycle="a → b → a"),
        PARENT_CYCLE.format(cycle="b → a → b"),
    }
    assert _loop_free()


def test_a_three_group_ring_cannot_close_under_concurrency():
    """a → b, b → c and c → a at once: at most two pass, the tree keeps no loop."""
    for code in "abc":
        UserGroupFactory(code=code)

    results = _race([("a", "b"), ("b", "c"), ("c", "a")])

    assert sorted(status for status, _ in results) == [200, 200, 400], results
    assert _loop_free()
