import pytest

from duplicates.models import DuplicateDismissal

pytestmark = pytest.mark.django_db

PAGE = "/admin/duplicates/duplicatedismissal/candidates/"


def test_the_page_lists_pairs_and_dismisses_one(staff_client, brazil, make):
    # given
    a = make(brazil, "a@example.com", first_name="Ana", identification="12345678909")
    b = make(brazil, "b@example.com", first_name="Ana", identification="123.456.789-09")
    # when
    listed = staff_client.get(PAGE)
    # then
    assert listed.status_code == 200
    assert [row["pair"].customer_ids for row in listed.context["rows"]] == [(a.pk, b.pk)]
    assert b"same identification" in listed.content
    # when dismissed
    response = staff_client.post(PAGE, {"customers": [a.pk, b.pk]})
    # then
    assert response.status_code == 302
    assert DuplicateDismissal.objects.filter(customer_low=a, customer_high=b).exists()
    assert staff_client.get(PAGE).context["rows"] == []
    assert staff_client.get("/admin/duplicates/duplicatedismissal/").status_code == 200


def test_one_customers_pairs_and_its_change_page_link(staff_client, brazil, make):
    a = make(brazil, "a@example.com", phone="11987654321")
    make(brazil, "b@example.com", phone="11987654321")
    make(brazil, "c@example.com", identification="99999999")
    make(brazil, "d@example.com", identification="99999999")
    page = staff_client.get(PAGE, {"customer": a.pk})
    assert [row["pair"].reasons for row in page.context["rows"]] == [("same_phone",)]
    change = staff_client.get(f"/admin/customers/customer/{a.pk}/change/")
    assert f"{PAGE}?customer={a.pk}".encode() in change.content
    assert staff_client.get(PAGE, {"customer": "x"}).status_code == 404


def test_the_page_needs_view_customer(client, brazil, django_user_model):
    user = django_user_model.objects.create_user("plain", password="pw-plain-123", is_staff=True)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
