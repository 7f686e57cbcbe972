import pytest
from django.core import mail

from customers.emails import customer_password_token
from customers.models import Customer
from customers.services import CUSTOMER_HAS_ORDERS
from customers.validation import CHANNEL_IMMUTABLE, EMAIL_TAKEN, USERNAME_TAKEN
from groups.models import UserCustomerGroup
from tests.customers.factories import AddressFactory, ChannelFactory, CustomerFactory
from tests.groups.factories import UserCustomerGroupFactory, UserGroupFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"

NUVEMSHOP_CREATE = {
    "name": "First Last",
    "email": "first.last@example.com",
    "addresses": [
        {
            "address": "My Street",
            "city": "My City",
            "country": "BR",
            "locality": "Morumbi",
            "number": "123",
            "phone": "11 1234-5678",
            "province": "São Paulo",
            "zipcode": "05653-071",
        }
    ],
    "send_email_invite": True,
    "password": "mysupersecretpassword",
}


def test_anonymous_gets_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_nuvemshop_create_body(api_client, web, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, {**NUVEMSHOP_CREATE, "channel": "web"})

    # then
    assert response.status_code == 201, response.data
    body = response.data
    assert (body["first_name"], body["last_name"], body["name"]) == ("First", "Last", "First Last")
    assert body["email"] == "first.last@example.com"
    assert body["has_password"] is True
    assert "password" not in body
    assert "send_email_invite" not in body
    [address] = body["addresses"]
    assert address["is_default"] is True
    assert address["country"] == "BR"
    assert body["default_address"] == address
    assert body["billing_address"] is None
    assert body["total_spent"] == "0.00"
    customer = Customer.objects.get(pk=body["id"])
    assert customer.password.startswith("md5$")
    assert customer.password != "mysupersecretpassword"
    [invite] = mail.outbox
    assert invite.to == ["first.last@example.com"]
    assert "Web store" in invite.subject
    token = invite.body.split("token=")[1].split()[0]
    assert customer_password_token.check_token(customer, token)


def test_full_representation_keys(api_client, web):
    customer = CustomerFactory(channel=web)
    response = api_client.get(f"{URL}{customer.pk}/")
    assert set(response.data) == {
        "id", "channel", "email", "username", "first_name", "last_name", "name", "company",
        "phone", "phone_secondary", "identification", "note", "status", "is_active", "gender",
        "language", "user_type", "date_of_birth", "date_joined", "email_allowed", "sms_allowed",
        "call_allowed", "discount_percent", "preferred_shipping_method", "erp_code",
        "channel_code", "attributes", "extra_field", "groups", "addresses", "default_address",
        "billing_address", "orders_count", "total_spent", "total_spent_currency",
        "first_order_at", "last_order_at", "last_order_id", "last_login_at", "has_password",
        "created_at", "updated_at", "version",
    }  # fmt: skip
    assert response.data["channel"] == "web"
    assert response.data["is_active"] is True


def test_create_normalises_email_and_sets_groups(api_client, web):
    UserGroupFactory(code="vip")
    UserGroupFactory(code="dealer")
    response = api_client.post(
        URL,
        {
            "channel": "web",
            "email": "  Peter@Parker.NZ ",
            "username": "peter",
            "groups": ["vip", "dealer"],
            "attributes": {"size": "M"},
            "discount_percent": 20,
            "gender": "male",
            "date_of_birth": "1990-05-01",
        },
    )
    assert response.status_code == 201, response.data
    assert response.data["email"] == "peter@parker.nz"
    assert response.data["groups"] == ["dealer", "vip"]
    assert response.data["discount_percent"] == "20.00"
    assert response.data["has_password"] is False


def test_unknown_group_is_400_and_nothing_is_written(api_client, web):
    response = api_client.post(URL, {"channel": "web", "email": "a@x.com", "groups": ["nope"]})
    assert response.status_code == 400
    assert "groups" in response.data
    assert not Customer.objects.exists()


def _valid(**fields) -> dict:
    """A customer body valid but for `fields`."""
    return {"channel": "web", "email": "a@x.com", **fields}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"email": "a@x.com"}, "channel", id="missing-channel"),
        pytest.param({"channel": "web"}, "email", id="missing-email"),
        pytest.param({"channel": "nope", "email": "a@x.com"}, "channel", id="unknown-channel"),
        pytest.param({"channel": "web", "email": "not-an-email"}, "email", id="bad-email"),
        pytest.param(_valid(status="gone"), "status", id="st"),
        pytest.param(_valid(gender="x"), "gender", id="gender"),
        pytest.param(_valid(user_type="x"), "user_type", id="user-type"),
        pytest.param(_valid(first_name="x" * 256), "first_name", id="too-long"),
        pytest.param(_valid(attributes=[1, 2]), "attributes", id="attributes-not-object"),
        pytest.param(_valid(extra_field="text"), "extra_field", id="extra-not-object"),
        pytest.param(_valid(discount_percent=150), "discount_percent", id="discount-over-100"),
        pytest.param(_valid(discount_percent=-1), "discount_percent", id="discount-negative"),
        pytest.param(_valid(addresses=[{"country": "XX"}]), "addresses", id="bad-country"),
        pytest.param(_valid(date_of_birth="yesterday"), "date_of_birth", id="bad-date"),
        pytest.param(_valid(password="123"), "password", id="weak-pw"),
    ],
)
def test_invalid_create_is_400_naming_the_field(api_client, web, body, field):
    response = api_client.post(URL, body)

    assert response.status_code == 400, response.data
    assert field in response.data
    assert not Customer.objects.exists()


def test_duplicate_email_in_channel_is_400(api_client, web):
    CustomerFactory(channel=web, email="a@x.com")
    response = api_client.post(URL, {"channel": "web", "email": "A@X.com"})
    assert response.status_code == 400
    assert response.data == {"email": [EMAIL_TAKEN]}


def test_same_email_in_another_channel_is_fine(api_client, web):
    CustomerFactory(channel=ChannelFactory(code="shop"), email="a@x.com")
    assert api_client.post(URL, {"channel": "web", "email": "a@x.com"}).status_code == 201


def test_duplicate_username_is_400(api_client, web):
    CustomerFactory(channel=web, username="peter")
    response = api_client.post(URL, {"channel": "web", "email": "b@x.com", "username": "peter"})
    assert response.status_code == 400
    assert response.data == {"username": [USERNAME_TAKEN]}


def test_omnitron_put_without_email_is_400(api_client, web):
    customer = CustomerFactory(channel=web)
    response = api_client.put(f"{URL}{customer.pk}/", {"channel": "web", "first_name": "X"})
    assert response.status_code == 400
    assert "email" in response.data


@pytest.mark.parametrize("method", ["put", "patch"])
def test_omnitron_changing_channel_is_400(api_client, web, method):
    customer = CustomerFactory(channel=web, email="a@x.com")
    ChannelFactory(code="shop")
    response = getattr(api_client, method)(
        f"{URL}{customer.pk}/", {"channel": "shop", "email": "a@x.com"}
    )
    assert response.status_code == 400
    assert response.data == {"channel": [CHANNEL_IMMUTABLE]}
    customer.refresh_from_db()
    assert customer.channel == web


def test_put_replaces_and_patch_changes_only_what_is_sent(api_client, web):
    customer = CustomerFactory(channel=web, email="a@x.com", first_name="A", phone="1")
    response = api_client.put(
        f"{URL}{customer.pk}/", {"channel": "web", "email": "b@x.com", "first_name": "B"}
    )
    assert response.status_code == 200, response.data
    assert response.data["email"] == "b@x.com"
    response = api_client.patch(f"{URL}{customer.pk}/", {"phone": "911"})
    assert response.status_code == 200
    assert (response.data["first_name"], response.data["phone"]) == ("B", "911")


def test_patch_groups_replaces_the_set(api_client, web):
    customer = CustomerFactory(channel=web)
    UserCustomerGroupFactory(customer=customer, group=UserGroupFactory(code="old"))
    UserGroupFactory(code="new")
    response = api_client.patch(f"{URL}{customer.pk}/", {"groups": ["new"]})
    assert response.status_code == 200
    assert response.data["groups"] == ["new"]


def test_patch_with_unknown_group_writes_nothing(api_client, web):
    customer = CustomerFactory(channel=web, first_name="A")
    response = api_client.patch(f"{URL}{customer.pk}/", {"first_name": "B", "groups": ["no"]})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.first_name == "A"


def test_patch_password_sets_hash(api_client, web):
    customer = CustomerFactory(channel=web)
    response = api_client.patch(f"{URL}{customer.pk}/", {"password": "Corr3ct-horse"})
    assert response.status_code == 200
    assert response.data["has_password"] is True
    customer.refresh_from_db()
    assert customer.password.startswith("md5$")


def test_scoped_user_sees_only_its_channels(api_client, api_user, web):
    shop = ChannelFactory(code="shop")
    web.api_users.add(api_user)
    mine, other = CustomerFactory(channel=web), CustomerFactory(channel=shop)
    response = api_client.get(URL)
    assert [row["id"] for row in response.data["results"]] == [mine.pk]
    assert api_client.get(f"{URL}{other.pk}/").status_code == 404
    response = api_client.post(URL, {"channel": "shop", "email": "a@x.com"})
    assert response.status_code == 400
    assert "channel" in response.data


def test_delete_is_204(api_client, web):
    customer = CustomerFactory(channel=web)
    AddressFactory(customer=customer)
    assert api_client.delete(f"{URL}{customer.pk}/").status_code == 204
    assert not Customer.objects.exists()


def test_delete_with_orders_is_409(api_client, web):
    customer = CustomerFactory(channel=web)
    OrderFactory(customer=customer)
    response = api_client.delete(f"{URL}{customer.pk}/")
    assert response.status_code == 409
    assert response.data == {"detail": CUSTOMER_HAS_ORDERS}


def test_anonymize_erases_personal_data_and_keeps_orders(api_client, web):
    # given
    customer = CustomerFactory(
        channel=web, email="p@x.com", username="p", identification="123", note="vip"
    )
    customer.password = "md5$x$y"
    customer.save()
    AddressFactory(customer=customer, phone="555", country="BR")
    order = OrderFactory(customer=customer)

    # when
    response = api_client.post(f"{URL}{customer.pk}/anonymize/")

    # then
    assert response.status_code == 200
    assert response.data["email"] == f"anonymized-{customer.pk}@invalid.example"
    for field in ("first_name", "last_name", "phone", "identification", "note"):
        assert response.data[field] == ""
    assert response.data["username"] is None
    assert response.data["has_password"] is False
    [address] = response.data["addresses"]
    assert (address["address"], address["phone"], address["city"]) == ("", "", "")
    assert address["country"] == "BR"
    order.refresh_from_db()
    assert order.customer_id == customer.pk


def test_send_invite_is_202_and_mails_a_link(api_client, web, django_capture_on_commit_callbacks):
    customer = CustomerFactory(channel=web, email="p@x.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{URL}{customer.pk}/send-invite/")
    assert response.status_code == 202
    [invite] = mail.outbox
    assert invite.to == ["p@x.com"]
    assert "http://127.0.0.1:8000/set-password/?channel=web&uid=" in invite.body


def test_invite_token_expires_and_dies_with_a_new_password(web, settings):
    customer = CustomerFactory(channel=web)
    token = customer_password_token.make_token(customer)
    assert customer_password_token.check_token(customer, token)
    customer.password = "md5$new$hash"
    assert not customer_password_token.check_token(customer, token)
    customer.password = ""
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert not customer_password_token.check_token(customer, token)


@pytest.fixture
def signed_up(api_client, web):
    response = api_client.post(
        URL, {"channel": "web", "email": "p@x.com", "password": "Corr3ct-horse"}
    )
    return Customer.objects.get(pk=response.data["id"])


def test_authenticate_returns_customer_and_sets_last_login(api_client, signed_up):
    response = api_client.post(
        f"{URL}authenticate/", {"channel": "web", "email": "P@x.com", "password": "Corr3ct-horse"}
    )
    assert response.status_code == 200
    assert response.data["id"] == signed_up.pk
    assert response.data["last_login_at"] is not None
    signed_up.refresh_from_db()
    assert signed_up.last_login_at is not None


def _params(table: dict[str, tuple]) -> list:
    """{id: (argument values)} as pytest params named by their ids."""
    return [pytest.param(*values, id=id_) for id_, values in table.items()]


@pytest.mark.parametrize(
    ("email", "password", "status"),
    _params(
        {
            "wrong-password": ("p@x.com", "wrong", "active"),
            "unknown": ("nobody@x.com", "Corr3ct-horse", "active"),
            **{status: ("p@x.com", "Corr3ct-horse", status) for status in ("inactive", "frozen")},
        }
    ),
)
def test_authenticate_failures_are_one_uniform_401(api_client, signed_up, email, password, status):
    Customer.objects.filter(pk=signed_up.pk).update(status=status)
    response = api_client.post(
        f"{URL}authenticate/", {"channel": "web", "email": email, "password": password}
    )
    assert response.status_code == 401
    assert response.data == {"detail": "Invalid credentials."}
    signed_up.refresh_from_db()
    assert signed_up.last_login_at is None


def test_authenticate_without_password_is_400(api_client, web):
    response = api_client.post(f"{URL}authenticate/", {"channel": "web", "email": "p@x.com"})
    assert response.status_code == 400
    assert "password" in response.data


def test_no_response_contains_password_material(
    api_client, web, django_capture_on_commit_callbacks
):
    """Every customer endpoint's answer is free of the raw password and of its hash."""
    # given
    raw = "Sup3r-secret-pw"
    created = api_client.post(
        URL, {"channel": "web", "email": "p@x.com", "password": raw, "send_email_invite": True}
    )
    pk = created.data["id"]
    hashed = Customer.objects.get(pk=pk).password
    UserCustomerGroup.objects.create(customer_id=pk, group=UserGroupFactory(code="vip"))
    detail = f"{URL}{pk}/"
    expand = "?expand=recent_orders,recent_addresses,phones,memberships"

    # when
    responses = [
        created,
        api_client.get(URL),
        api_client.get(URL + expand),
        api_client.get(detail + expand),
        api_client.put(detail, {"channel": "web", "email": "p@x.com", "password": raw}),
        api_client.patch(detail, {"password": raw}),
        api_client.post(f"{URL}upsert/", {"channel": "web", "email": "p@x.com", "password": raw}),
        api_client.post(f"{URL}upsert/", [{"channel": "web", "email": "p@x.com", "password": raw}]),
        api_client.post(
            f"{URL}authenticate/", {"channel": "web", "email": "p@x.com", "password": raw}
        ),
        api_client.post(
            f"{URL}authenticate/", {"channel": "web", "email": "p@x.com", "password": "x"}
        ),
        api_client.post(f"{detail}send-invite/"),
        api_client.post(f"{detail}addresses/", {"city": "Rio"}),
        api_client.get(f"{detail}addresses/"),
        api_client.get("/api/v1/schema/?format=json"),
    ]
    hashed_now = Customer.objects.get(pk=pk).password
    responses.append(api_client.post(f"{detail}anonymize/"))

    # then
    for response in responses:
        assert response.status_code < 500
        text = response.content.decode()
        for secret in (raw, hashed, hashed_now, hashed.split("$")[-1], hashed_now.split("$")[-1]):
            assert secret not in text, response.request["PATH_INFO"]
        assert '"password":' not in text or "schema" in response.request["PATH_INFO"]


@pytest.mark.parametrize(
    ("method", "path", "codename"),
    _params(
        {
            "anonymize": ("post", "{pk}/anonymize/", "change_customer"),
            "send-invite": ("post", "{pk}/send-invite/", "change_customer"),
            "upsert": ("post", "upsert/", "change_customer"),
            "authenticate": ("post", "authenticate/", "view_customer"),
            "delete": ("delete", "{pk}/", "delete_customer"),
        }
    ),
)
def test_routes_need_their_model_permission(api_client, api_user, web, method, path, codename):
    customer = CustomerFactory(channel=web)
    api_user.user_permissions.remove(api_user.user_permissions.get(codename=codename))
    api_client.force_authenticate(type(api_user).objects.get(pk=api_user.pk))
    response = getattr(api_client, method)(URL + path.format(pk=customer.pk), {})
    assert response.status_code == 403


def test_expand_adds_fields_and_unknown_is_400(api_client, web):
    customer = CustomerFactory(channel=web, phone="1", phone_secondary="2")
    AddressFactory(customer=customer, phone="1")
    AddressFactory(customer=customer, phone="3")
    response = api_client.get(f"{URL}{customer.pk}/", {"expand": "phones,recent_addresses"})
    assert response.data["phones"] == ["1", "2", "3"]
    assert len(response.data["recent_addresses"]) == 2
    assert "recent_orders" not in response.data
    response = api_client.get(f"{URL}{customer.pk}/", {"expand": "phones,bogus"})
    assert response.status_code == 400
    assert "expand" in response.data


def test_name_on_patch_is_split(api_client, web):
    customer = CustomerFactory(channel=web)
    response = api_client.patch(f"{URL}{customer.pk}/", {"name": "Zé da Silva"})
    assert (response.data["first_name"], response.data["last_name"]) == ("Zé", "da Silva")
