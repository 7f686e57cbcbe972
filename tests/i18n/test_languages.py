"""Accept-Language picks the language of API messages and of the admin; a customer's e-mails
speak its language (else its channel's); a channel's set-password URL and time zone."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from customers.emails import customer_password_token
from customers.models import Channel, Customer
from tests.customers.factories import ChannelFactory, CustomerFactory
from tests.i18n.conftest import needs_catalogs

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
CHANNELS = "/api/v1/channels/"

BAD_EMAIL = {
    "en": "Enter a valid email address.",
    "pt-br": "Informe um endereço de e-mail válido.",
    "es": "Introduzca una dirección de correo electrónico válida.",
}
UNKNOWN_NAME = {
    "en": "Unknown field 'emial'. Did you mean 'email'?",
    "pt-br": "Campo desconhecido 'emial'. Você quis dizer 'email'?",
    "es": "Campo desconocido 'emial'. ¿Quiso decir 'email'?",
}
BAD_TIME_ZONE = {
    "en": "Unknown time zone 'Mars/Olympus': use an IANA name such as 'America/Sao_Paulo'.",
    "pt-br": "Fuso horário desconhecido 'Mars/Olympus': use um nome IANA como 'America/Sao_Paulo'.",
    "es": "Zona horaria desconocida 'Mars/Olympus': use un nombre IANA como 'America/Sao_Paulo'.",
}
INVITE = {
    "en": (
        "Your account at Loja Web",
        [
            "Hello Maria,",
            "An account has been created for you at Loja Web with the e-mail address "
            "maria@example.com.",
            "Choose your password here:",
            "This link works once and expires in 3 days.",
            "If you did not expect this e-mail, you can ignore it.",
        ],
    ),
    "pt-br": (
        "Sua conta em Loja Web",
        [
            "Olá, Maria,",
            "Uma conta foi criada para você em Loja Web com o endereço de e-mail "
            "maria@example.com.",
            "Escolha sua senha aqui:",
            "Este link funciona uma única vez e expira em 3 dias.",
            "Se você não esperava este e-mail, pode ignorá-lo.",
        ],
    ),
    "es": (
        "Su cuenta en Loja Web",
        [
            "Hola, Maria:",
            "Se ha creado una cuenta para usted en Loja Web con la dirección de correo "
            "electrónico maria@example.com.",
            "Elija su contraseña aquí:",
            "Este enlace funciona una sola vez y caduca en 3 días.",
            "Si no esperaba este correo, puede ignorarlo.",
        ],
    ),
}
LANGUAGES = ["en", "pt-br", "es"]


@pytest.fixture
def web(db):
    return ChannelFactory(code="web", name="Loja Web")


@needs_catalogs
@pytest.mark.parametrize("language", LANGUAGES)
def test_api_validation_error_in_the_requested_language(api_client, web, language):
    # when
    response = api_client.post(
        CUSTOMERS,
        {"channel": "web", "email": "not-an-email", "emial": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    # then: the field names stay the API's, the messages are translated
    assert response.status_code == 400
    assert response.json() == {"email": [BAD_EMAIL[language]], "emial": [UNKNOWN_NAME[language]]}
    assert response["Content-Language"] == language
    assert not Customer.objects.exists()


def test_api_messages_are_english_without_accept_language(api_client, web):
    response = api_client.post(CUSTOMERS, {"channel": "web", "email": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"email": [BAD_EMAIL["en"]]}


@needs_catalogs
@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_in_the_customer_language(
    api_client, web, language, django_capture_on_commit_callbacks
):
    # given: the request asks for another language; the customer's own one wins
    customer = CustomerFactory(
        channel=web, email="maria@example.com", first_name="Maria", language=language
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"{CUSTOMERS}{customer.pk}/send-invite/", HTTP_ACCEPT_LANGUAGE="es-mx;q=0.1"
        )

    # then
    assert response.status_code == 202
    [invite] = mail.outbox
    subject, lines = INVITE[language]
    assert invite.subject == subject
    body = [line for line in invite.body.splitlines() if line]
    assert body[:3] == lines[:3]
    assert body[3].startswith("http://127.0.0.1:8000/set-password/?channel=web&uid=")
    assert body[4:] == lines[3:]


@needs_catalogs
def test_invitation_in_the_channel_language_when_the_customer_has_none(web):
    # given
    Channel.objects.filter(pk=web.pk).update(language="pt-br")
    customer = CustomerFactory(channel=web, email="maria@example.com", first_name="Maria")

    # when
    from customers.emails import customer_invite_email_send

    customer_invite_email_send(Customer.objects.get(pk=customer.pk))

    # then
    [invite] = mail.outbox
    assert invite.subject == "Sua conta em Loja Web"
    assert invite.body.startswith("Olá, Maria,")


def test_customer_language_is_shown_written_and_validated(api_client, web):
    # when
    created = api_client.post(
        CUSTOMERS, {"channel": "web", "email": "a@example.com", "language": "es"}, format="json"
    )
    refused = api_client.patch(
        f"{CUSTOMERS}{created.data['id']}/", {"language": "fr"}, format="json"
    )
    cleared = api_client.patch(
        f"{CUSTOMERS}{created.data['id']}/", {"language": None}, format="json"
    )

    # then
    assert created.status_code == 201, created.data
    assert created.data["language"] == "es"
    assert refused.status_code == 400
    assert refused.json() == {"language": ['"fr" is not a valid choice.']}
    assert cleared.status_code == 200, cleared.data
    assert cleared.data["language"] == ""


def test_channel_set_password_url_makes_the_invitation_link(
    api_client, web, django_capture_on_commit_callbacks
):
    # given
    template = "https://shop.example/{language}/account/set-password?u={uid}&t={token}&c={channel}"
    response = api_client.patch(f"{CHANNELS}web/", {"set_password_url": template}, format="json")
    assert response.status_code == 200, response.data
    customer = CustomerFactory(channel=web, email="ana@example.com", language="pt-br")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"{CUSTOMERS}{customer.pk}/send-invite/")

    # then
    [invite] = mail.outbox
    [link] = [line for line in invite.body.splitlines() if line.startswith("https://")]
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert (parts.netloc, parts.path) == ("shop.example", "/pt-br/account/set-password")
    assert query["c"] == ["web"]
    assert customer_password_token.check_token(customer, query["t"][0])


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "https://shop.example/set?uid={uid}",
            "The URL must contain {token}.",
            id="no-token",
        ),
        pytest.param(
            "https://shop.example/set?u={uid}&t={token}&e={email}",
            "Unknown placeholder {email}: use {channel}, {uid}, {token}, {language}.",
            id="unknown-placeholder",
        ),
        pytest.param(
            "ftp://shop.example/{uid}/{token}",
            "Use an http:// or https:// URL with a host name.",
            id="not-http",
        ),
        pytest.param(
            "https://shop.example/{uid}/{token}/{",
            "Write placeholders as {token}; write a literal brace twice ({{ or }}).",
            id="stray-brace",
        ),
    ],
)
def test_bad_set_password_url_is_400_naming_it(api_client, web, template, message):
    response = api_client.patch(f"{CHANNELS}web/", {"set_password_url": template}, format="json")

    assert response.status_code == 400
    assert response.json() == {"set_password_url": [message]}
    assert Channel.objects.get().set_password_url == ""


@pytest.mark.parametrize(
    "language",
    [pytest.param(code, marks=needs_catalogs if code != "en" else ()) for code in LANGUAGES],
)
def test_bad_channel_time_zone_is_400_naming_it(api_client, language):
    # when
    response = api_client.post(
        CHANNELS,
        {"code": "shop", "name": "Shop", "time_zone": "Mars/Olympus"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    # then
    assert response.status_code == 400
    assert response.json() == {"time_zone": [BAD_TIME_ZONE[language]]}
    assert not Channel.objects.exists()


def test_channel_time_zone_language_and_link_defaults(api_client, settings):
    response = api_client.post(CHANNELS, {"code": "shop", "name": "Shop"}, format="json")

    assert response.status_code == 201, response.data
    assert (
        response.data["time_zone"],
        response.data["language"],
        response.data["set_password_url"],
    ) == (settings.TIME_ZONE, "en", "")


@needs_catalogs
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("pt-br", ["Usuário:", "Senha:", 'value="Acessar"']),
        ("es", ["Nombre de usuario:", "Contraseña:", 'value="Iniciar sesión"']),
        ("en", ["Username:", "Password:", 'value="Log in"']),
    ],
)
def test_admin_login_page_in_the_requested_language(client, language, words):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    for word in words:
        assert word in page


@needs_catalogs
def test_request_bounds_answer_in_the_requested_language(api_client, settings):
    """The bounds are checked before authentication: the language is chosen before them."""
    settings.API_MAX_SEARCH_WORDS = 2

    response = api_client.get(CUSTOMERS, {"q": "ana bia cid"}, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json() == {
        "q": ["Indique como máximo 2 palabras para buscar; esta búsqueda tiene 3."]
    }
