import pytest

from customers.models import Channel
from groups.models import UserGroup


@pytest.fixture
def channel(db):
    return Channel.objects.create(code="web", name="Web", currency="USD")


@pytest.fixture
def groups(db):
    return [
        UserGroup.objects.create(code="vip", title="VIP"),
        UserGroup.objects.create(code="news", title="News"),
    ]


@pytest.fixture
def write(tmp_path):
    """Write text to a real temp file; return its path as a string."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write
