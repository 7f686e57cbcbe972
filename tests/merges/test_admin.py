"""The admin's merge screen, the customer page's Merge button and banner, the Merges admin."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.models import Customer
from merges.models import Merge
from tests.conftest import patron_user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def merger_admin(client):
    user = patron_user_create("staff-merger", is_staff=True)
    client.force_login(user)
    return client


def _merge_url(kept, other) -> str:
    return f"{reverse('admin:customers_customer_merge')}?keep={kept.pk}&merge={other.pk}"


def test_the_merge_screen_previews_and_writes_nothing(merger_admin, duo):
    kept, other = duo

    response = merger_admin.get(_merge_url(kept, other))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="field_phone"' in html
    assert 'id="merge-moves"' in html
    assert "Orders: 2" in html
    assert Merge.objects.count() == 0


def test_confirming_merges_with_the_chosen_fields(merger_admin, duo):
    kept, other = duo

    response = merger_admin.post(
        reverse("admin:customers_customer_merge"),
        {"keep": kept.pk, "merge": str(other.pk), "field_phone": other.pk, "confirm": "Merge"},
    )

    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.phone == "+1 555 0100"
    assert Customer.objects.get(pk=other.pk).merged_into_id == kept.pk


def test_merge_errors_are_shown_and_nothing_written(merger_admin, duo):
    kept, _ = duo

    response = merger_admin.get(
        f"{reverse('admin:customers_customer_merge')}?keep={kept.pk}&merge={kept.pk}"
    )

    assert response.status_code == 200
    assert 'id="merge-errors"' in response.content.decode()
    assert Merge.objects.count() == 0


def test_the_merge_screen_needs_the_merge_permission(client, duo):
    kept, other = duo
    user = patron_user_create("staff-plain", is_staff=True)
    user.user_permissions.remove(Permission.objects.get(codename="merge_customer"))
    client.force_login(user)

    response = client.get(_merge_url(kept, other))

    assert response.status_code == 403


def test_the_customer_page_has_a_merge_button_and_a_merged_one_a_banner(merger_admin, duo):
    kept, other = duo
    merger_admin.post(
        reverse("admin:customers_customer_merge"),
        {"keep": kept.pk, "merge": str(other.pk), "confirm": "Merge"},
    )

    kept_page = merger_admin.get(reverse("admin:customers_customer_change", args=[kept.pk]))
    merged_page = merger_admin.get(reverse("admin:customers_customer_change", args=[other.pk]))

    assert 'id="merge-button"' in kept_page.content.decode()
    assert 'id="merged-banner"' in merged_page.content.decode()
    assert 'id="merge-button"' not in merged_page.content.decode()


def test_the_merges_admin_lists_and_undoes(merger_admin, duo, django_assert_max_num_queries):
    kept, other = duo
    merger_admin.post(
        reverse("admin:customers_customer_merge"),
        {"keep": kept.pk, "merge": str(other.pk), "confirm": "Merge"},
    )
    merge = Merge.objects.get()

    listed = merger_admin.get(reverse("admin:merges_merge_changelist"))
    page = merger_admin.get(reverse("admin:merges_merge_change", args=[merge.pk]))
    undone = merger_admin.post(reverse("admin:merges_merge_undo", args=[merge.pk]))

    assert listed.status_code == 200
    assert 'id="merge-undo"' in page.content.decode()
    assert undone.status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Customer.objects.get(pk=other.pk).merged_into_id is None


def test_merged_customers_are_out_of_the_changelist_unless_asked_for(merger_admin, duo):
    kept, other = duo
    merger_admin.post(
        reverse("admin:customers_customer_merge"),
        {"keep": kept.pk, "merge": str(other.pk), "confirm": "Merge"},
    )
    url = reverse("admin:customers_customer_changelist")

    listed = merger_admin.get(url).context["cl"].result_list
    merged = merger_admin.get(f"{url}?merged=yes").context["cl"].result_list

    assert [customer.pk for customer in listed] == [kept.pk]
    assert [customer.pk for customer in merged] == [other.pk]
