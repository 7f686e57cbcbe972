"""Patron's own admin pages (dashboard, customer list, import, merge screen, possible
duplicates) and the merge API's messages speak the staff member's language, chosen by
Accept-Language or by Django's language cookie; English stays the default."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from config.history import history_reason_label
from customers.models import Customer
from customers.services import channel_create, customer_create
from jobs.models import Job, JobKind
from tests.conftest import api_client_for
from tests.i18n.conftest import needs_catalogs
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/"
CUSTOMERS = "/admin/customers/customer/"
IMPORT = "/admin/customers/customer/import/"
DUPLICATES = "/admin/duplicates/duplicatedismissal/candidates/"
MERGE_API = "/api/v1/customers/merge/"

# A few real texts of each page, per language.
PAGES = {
    "dashboard": {
        "en": [
            "<title>Dashboard | Patron admin</title>",
            "Recent imports",
            "New customers per day",
        ],
        "pt-br": [
            "<title>Painel | Administração do Patron</title>",
            "Importações recentes",
            "Novos clientes por dia",
        ],
        "es": [
            "<title>Panel | Administración de Patron</title>",
            "Importaciones recientes",
            "Clientes nuevos por día",
        ],
    },
    "customer list": {
        "en": ["Freeze selected customers", "Total spent", "Last order (UTC)", "Import customers"],
        "pt-br": [
            "Congelar os clientes selecionados",
            "Total gasto",
            "Último pedido (UTC)",
            "Importar clientes",
        ],
        "es": [
            "Congelar los clientes seleccionados",
            "Total gastado",
            "Último pedido (UTC)",
            "Importar clientes",
        ],
    },
    "import": {
        "en": ["Upload a file", "Sample files", "Skip rows edited since the export"],
        "pt-br": [
            "Enviar um arquivo",
            "Arquivos de exemplo",
            "Pular as linhas editadas desde a exportação",
        ],
        "es": [
            "Subir un archivo",
            "Archivos de ejemplo",
            "Omitir las filas editadas desde la exportación",
        ],
    },
    "merge": {
        "en": ["What moves to the kept customer", "Email allowed: no", 'value="Merge"'],
        "pt-br": ["O que passa para o cliente mantido", "Aceita e-mail: não", 'value="Mesclar"'],
        "es": ["Qué pasa al cliente conservado", "Acepta correo: no", 'value="Fusionar"'],
    },
    "duplicates": {
        "en": ["Possible duplicates", "Score", "<td>same phone</td>", 'value="Dismiss"'],
        "pt-br": [
            "Possíveis duplicados",
            "Pontuação",
            "<td>mesmo telefone</td>",
            'value="Descartar"',
        ],
        "es": ["Posibles duplicados", "Puntuación", "<td>mismo teléfono</td>", 'value="Descartar"'],
    },
}
LANGUAGES = ["en", "pt-br", "es"]


@pytest.fixture
def twins(superuser):
    """Two customers of one channel alike enough to be possible duplicates (made by the
    service, which computes their match keys)."""
    channel_create(data={"code": "web", "name": "Loja Web", "currency": "BRL", "country": "BR"})

    def make(email):
        data = {"channel": "web", "email": email, "phone": "+55 11 91234-5678"}
        return customer_create(data=data, user=superuser)

    return make("ana@example.com"), make("ana.s@example.com")


def _url(page: str, twins) -> str:
    first, second = twins
    merge = reverse("admin:customers_customer_merge") + f"?keep={first.pk}&merge={second.pk}"
    return {
        "dashboard": DASHBOARD,
        "customer list": CUSTOMERS,
        "import": IMPORT,
        "merge": merge,
        "duplicates": DUPLICATES,
    }[page]


def _page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


@needs_catalogs
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", list(PAGES))
def test_admin_page_in_the_accept_language(staff_client, twins, page, language):
    html = _page(staff_client, _url(page, twins), HTTP_ACCEPT_LANGUAGE=language)

    assert f'<html lang="{language}"' in html
    missing = [text for text in PAGES[page][language] if text not in html]
    assert missing == []


@needs_catalogs
@pytest.mark.parametrize("language", ["pt-br", "es"])
@pytest.mark.parametrize("page", list(PAGES))
def test_admin_page_in_the_language_cookie(staff_client, twins, page, language):
    """Django's language cookie (set by its set_language view) wins over Accept-Language."""
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = _page(staff_client, _url(page, twins), HTTP_ACCEPT_LANGUAGE="en")

    missing = [text for text in PAGES[page][language] if text not in html]
    assert missing == []


def test_without_a_language_the_admin_is_english(staff_client, twins):
    html = _page(staff_client, CUSTOMERS)

    assert '<html lang="en"' in html
    assert "Freeze selected customers" in html
    assert "Congelar" not in html


@needs_catalogs
@pytest.mark.parametrize(
    ("language", "done"),
    [
        ("en", "1 customer(s) frozen."),
        ("pt-br", "1 cliente(s) congelado(s)."),
        ("es", "1 cliente(s) congelado(s)."),
    ],
)
def test_an_action_reports_in_the_staff_language(staff_client, twins, language, done):
    first, _ = twins
    form = {"action": "customers_freeze", "_selected_action": [first.pk]}

    response = staff_client.post(CUSTOMERS, form, follow=True, HTTP_ACCEPT_LANGUAGE=language)

    assert [str(message) for message in response.context["messages"]] == [done]
    first.refresh_from_db()
    assert first.status == Customer.Status.FROZEN


@needs_catalogs
def test_the_dashboard_charts_are_cached_per_language(staff_client, twins):
    """The charts' labels are cached with the figures: each language has its own entry."""
    portuguese = _page(staff_client, DASHBOARD, HTTP_ACCEPT_LANGUAGE="pt-br")

    english = _page(staff_client, DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")

    assert 'aria-label="Novos clientes de web: 2 em 90 dias' in portuguese
    assert 'aria-label="New customers of web: 2 in 90 days' in english
    assert "Novos clientes de web" not in english


@needs_catalogs
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The kept customer cannot be merged into itself."),
        ("pt-br", "O cliente mantido não pode ser mesclado nele mesmo."),
        ("es", "El cliente conservado no se puede fusionar consigo mismo."),
    ],
)
def test_merge_refusal_in_the_requested_language(staff_user, twins, language, message):
    first, _ = twins
    body = {"keep": first.pk, "merge": [first.pk]}

    response = api_client_for(staff_user).post(
        MERGE_API, body, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    assert message in response.json()["merge"]


@needs_catalogs
@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "This merge was undone already."),
        ("pt-br", "Esta mesclagem já foi desfeita."),
        ("es", "Esta fusión ya se deshizo."),
    ],
)
def test_undo_conflict_in_the_requested_language(staff_user, twins, language, detail):
    first, second = twins
    client = api_client_for(staff_user)
    merged = client.post(MERGE_API, {"keep": first.pk, "merge": [second.pk]}, format="json")
    undo = f"/api/v1/merges/{merged.json()['merge']}/undo/"
    assert client.post(undo).status_code == 200

    response = client.post(undo, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 409
    assert response.json() == {"detail": detail}


# --- times shown with their zone -------------------------------------------------------


def test_list_time_columns_name_the_active_zone(staff_client, twins, settings):
    """Lists mix channels: their times are in the active zone, named in the column."""
    first, _ = twins
    Customer.objects.filter(pk=first.pk).update(
        last_order_at=datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
    )
    OrderFactory(customer=first)
    settings.TIME_ZONE = "America/Sao_Paulo"

    customers = _page(staff_client, CUSTOMERS)
    orders = _page(staff_client, "/admin/orders/order/")

    assert "Last order (America/Sao_Paulo)" in customers
    assert "2026-01-15 09:00" in customers
    assert "Placed at (America/Sao_Paulo)" in orders


def test_dashboard_job_times_name_their_zone(staff_client, staff_user, twins):
    Job.objects.create(kind=JobKind.IMPORT, created_by=staff_user)

    html = _page(staff_client, DASHBOARD)

    assert html.count(" UTC · staff") == 1


def test_date_time_columns_of_other_lists_name_the_zone(staff_client, staff_user, settings):
    job = Job.objects.create(kind=JobKind.EXPORT, created_by=staff_user)
    Job.objects.filter(pk=job.pk).update(
        created_at=datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
    )
    settings.TIME_ZONE = "Europe/Madrid"

    html = _page(staff_client, "/admin/jobs/job/")

    assert "Created at (Europe/Madrid)" in html
    assert "Finished at (Europe/Madrid)" in html
    assert '<td class="field-created_at_zoned">2026-01-15 13:00</td>' in html


@needs_catalogs
def test_zoned_columns_in_the_staff_language(staff_client, staff_user):
    Job.objects.create(kind=JobKind.EXPORT, created_by=staff_user)

    html = _page(staff_client, "/admin/jobs/job/", HTTP_ACCEPT_LANGUAGE="es")

    assert "Creado el (UTC)" in html


# --- the history's sources -------------------------------------------------------------


@needs_catalogs
@pytest.mark.parametrize(
    ("stored", "language", "shown"),
    [
        ("import (clientes.csv)", "pt-br", "importação (clientes.csv)"),
        ("import (clientes.csv)", "es", "importación (clientes.csv)"),
        ("job (Import #3)", "pt-br", "tarefa (Import #3)"),
        ("API (erp)", "es", "API (erp)"),
        ("command", "pt-br", "comando"),
        ("admin", "en", "admin"),
        ("Merge 4: customers 2 merged into 1.", "pt-br", "Merge 4: customers 2 merged into 1."),
        (None, "es", "-"),
    ],
)
def test_history_sources_in_the_staff_language(stored, language, shown):
    with translation.override(language):
        assert history_reason_label(stored) == shown


@needs_catalogs
def test_history_page_names_the_source_in_the_staff_language(staff_client, twins):
    first, _ = twins
    first.history.update(history_change_reason="import (clientes.csv)")

    html = _page(
        staff_client,
        f"/admin/customers/customer/{first.pk}/history/",
        HTTP_ACCEPT_LANGUAGE="pt-br",
    )

    assert '<th scope="col">Origem</th>' in html
    assert "importação (clientes.csv)" in html
