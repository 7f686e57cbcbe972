from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from config.localization import default_time_zone, set_password_url_validate, time_zone_validate

NAME_LENGTH = 255
PHONE_LENGTH = 128
CODE_LENGTH = 64
EMAIL_LENGTH = 254
LANGUAGE_LENGTH = 16
TIME_ZONE_LENGTH = 64
URL_LENGTH = 1000

# History is read per object (by id); these columns' indexes would only slow every write.
HISTORY_UNINDEXED_FIELDS = ["channel", "customer", "created_at", "updated_at"]
# The order statistics on each customer, in the model's order; orders.services keeps them exact.
CUSTOMER_STATS_FIELDS = (
    "orders_count",
    "total_spent",
    "total_spent_currency",
    "first_order_at",
    "last_order_at",
    "last_order",
)
# A row's version is bookkeeping for If-Match, not a change staff need to see.
# Duplicate detection's keys on each customer, derived from its fields (customers.match_keys).
CUSTOMER_MATCH_KEY_FIELDS = (
    "email_key",
    "phone_key",
    "identification_key",
    "name_key",
    "address_key",
)
HISTORY_EXCLUDED_FIELDS = [
    "password",
    "version",
    *CUSTOMER_STATS_FIELDS,
    *CUSTOMER_MATCH_KEY_FIELDS,
]


def _text(max_length: int, verbose_name=None) -> models.CharField:
    """An optional text column: blank allowed, stored as "" rather than NULL."""
    return models.CharField(
        max_length=max_length, blank=True, default="", verbose_name=verbose_name
    )


def _name_fields() -> tuple[models.CharField, ...]:
    """first_name, last_name and company, which customers and addresses both have."""
    return (
        _text(NAME_LENGTH, _("first name")),
        _text(NAME_LENGTH, _("last name")),
        _text(NAME_LENGTH, _("company")),
    )


def _key_text(max_length: int) -> models.CharField:
    """A match key column (customers.match_keys): written by Patron only, "" when none."""
    return models.CharField(max_length=max_length, blank=True, default="", editable=False)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, db_index=True, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A row the API serves with an ETag: `version` counts the changes to what it shows of it
    (config.versions)."""

    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))

    class Meta:
        abstract = True


class Channel(VersionedModel):
    """A sales channel (storefront, marketplace): customers and orders belong to one."""

    code = models.SlugField(max_length=CODE_LENGTH, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=NAME_LENGTH, verbose_name=_("name"))
    currency = models.CharField(max_length=3, default="USD", verbose_name=_("currency"))
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        help_text=_(
            "ISO 3166 alpha-2: the region phones without a country code are read in "
            "(blank: the currency's country, if it has one)."
        ),
        verbose_name=_("country"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    language = models.CharField(
        _("language"),
        max_length=LANGUAGE_LENGTH,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Language of the e-mails of customers who have none of their own."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=TIME_ZONE_LENGTH,
        default=default_time_zone,
        validators=[time_zone_validate],
        help_text=_("IANA time zone (such as America/Sao_Paulo) the admin shows its times in."),
    )
    set_password_url = models.CharField(
        _("set-password URL"),
        max_length=URL_LENGTH,
        blank=True,
        default="",
        validators=[set_password_url_validate],
        help_text=_(
            "Link of invitation e-mails, with {uid} and {token} (and optionally {channel} and "
            "{language}), e.g. https://shop.example/account/set-password?uid={uid}&token={token}."
            " Blank: the PASSWORD_SET_URL setting."
        ),
    )
    api_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="api_channels",
        help_text=_("API users limited to this channel. A user in no channel sees every channel."),
        verbose_name=_("api users"),
    )

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="channel_currency_iso4217"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="channel_code_not_empty"),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="channel_country_iso3166",
            ),
        ]

    def __str__(self):
        return self.code


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    FROZEN = "frozen", _("Frozen")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", pgettext_lazy("gender", "Other")
    UNKNOWN = "unknown", _("Unknown")


class UserType(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    GUEST = "guest", _("Guest")


class Customer(VersionedModel):
    Status = CustomerStatus
    Gender = Gender
    UserType = UserType

    # No index of its own: customer_unique_email starts with the channel.
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,
        verbose_name=_("channel"),
    )
    email = models.EmailField(max_length=EMAIL_LENGTH, verbose_name=_("email"))
    username = models.CharField(
        max_length=NAME_LENGTH, null=True, blank=True, verbose_name=_("username")
    )
    first_name, last_name, company = _name_fields()
    phone = _text(PHONE_LENGTH, verbose_name=_("phone"))
    phone_secondary = _text(PHONE_LENGTH, verbose_name=_("phone secondary"))
    identification = _text(CODE_LENGTH, verbose_name=_("identification"))
    note = models.TextField(blank=True, default="", verbose_name=_("note"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status")
    )
    gender = models.CharField(
        max_length=16, choices=Gender.choices, default=Gender.UNKNOWN, verbose_name=_("gender")
    )
    language = models.CharField(
        _("language"),
        max_length=LANGUAGE_LENGTH,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("Language of the customer's e-mails; blank: the channel's."),
    )
    user_type = models.CharField(
        max_length=16,
        choices=UserType.choices,
        default=UserType.REGISTERED,
        verbose_name=_("user type"),
    )
    date_of_birth = models.DateField(null=True, blank=True, verbose_name=_("date of birth"))
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    email_allowed = models.BooleanField(default=False, verbose_name=_("email allowed"))
    sms_allowed = models.BooleanField(default=False, verbose_name=_("sms allowed"))
    call_allowed = models.BooleanField(default=False, verbose_name=_("call allowed"))
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, verbose_name=_("discount percent")
    )
    preferred_shipping_method = _text(CODE_LENGTH, verbose_name=_("preferred shipping method"))
    erp_code = _text(CODE_LENGTH, verbose_name=_("erp code"))
    channel_code = _text(CODE_LENGTH, verbose_name=_("channel code"))
    attributes = models.JSONField(default=dict, blank=True, verbose_name=_("attributes"))
    extra_field = models.JSONField(default=dict, blank=True, verbose_name=_("extra field"))
    password = models.CharField(max_length=128, blank=True, default="", editable=False)
    last_login_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last login at"))
    # Set when this customer was merged into another (merges.services): the row stays, so the
    # merge can be undone; it is then an alias of that customer, hidden from every list.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_customers",
        editable=False,
        db_index=False,  # customer_merged_into_idx, partial,
        verbose_name=_("merged into"),
    )

    # Duplicate detection's normalised keys (customers.match_keys); internal, not in the API.
    email_key = _key_text(EMAIL_LENGTH)
    phone_key = _key_text(32)
    identification_key = _key_text(CODE_LENGTH)
    name_key = _key_text(2 * NAME_LENGTH + 1)
    address_key = _key_text(2 * CODE_LENGTH + 1)

    # Order statistics, kept exact by orders.services so lists never aggregate on the fly.
    orders_count = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("orders count")
    )
    # Wide enough for a million orders of the largest total an order holds (14 digits).
    total_spent = models.DecimalField(
        max_digits=20, decimal_places=2, default=0, editable=False, verbose_name=_("total spent")
    )
    total_spent_currency = models.CharField(
        max_length=3, blank=True, default="", editable=False, verbose_name=_("total spent currency")
    )
    first_order_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("first order at")
    )
    last_order_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last order at")
    )
    last_order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,  # customer_last_order_idx, partial,
        verbose_name=_("last order"),
    )

    # Who changed what and when; the password hash and the order statistics stay out of it.
    history = HistoricalRecords(
        excluded_fields=HISTORY_EXCLUDED_FIELDS, no_db_index=HISTORY_UNINDEXED_FIELDS
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["id"]
        permissions = [("merge_customer", "Can merge customers and undo merges")]
        constraints = [
            models.UniqueConstraint(fields=["channel", "email"], name="customer_unique_email"),
            models.UniqueConstraint(
                fields=["channel", "username"],
                condition=Q(username__isnull=False),
                name="customer_unique_username",
            ),
            models.CheckConstraint(condition=~Q(email=""), name="customer_email_not_empty"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="customer_email_lowercase"
            ),
            models.CheckConstraint(
                condition=~Q(username=""), name="customer_username_null_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="customer_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(total_spent__gte=0), name="customer_total_spent_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CustomerStatus.values), name="customer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="customer_gender_valid"
            ),
            models.CheckConstraint(
                condition=Q(user_type__in=UserType.values), name="customer_user_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=["", *(code for code, _label in settings.LANGUAGES)]),
                name="customer_language_valid",
            ),
        ]
        # Each index costs every insert and update (imports write millions of rows), so only
        # lookups users run on large tables get one: text columns that are often empty are
        # indexed where filled; names are found through the search index (customers.search);
        # gender and user type are too unselective for an index to beat a scan.
        indexes = [
            # Pattern ops let PostgreSQL serve email exact and prefix lookups from one btree.
            models.Index(
                fields=["email"], name="customer_email_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["username"],
                name="customer_username_set_idx",
                condition=Q(username__isnull=False),
            ),
            *(
                models.Index(fields=[name], name=f"cust_{name}_set_idx", condition=~Q(**{name: ""}))
                for name in ("phone", "identification", "erp_code", "channel_code")
            ),
            # Lists leave merged customers out (listed_queryset), so the filters whose totals
            # reach the count cap carry `merged_into_id` too: their capped count is then an
            # index-only scan instead of 10,001 visits to the table.
            models.Index(
                fields=["status", "email_allowed", "sms_allowed", "call_allowed"],
                name="customer_status_consent_idx",
                include=["merged_into"],
            ),
            models.Index(fields=["date_of_birth"], name="customer_date_of_birth_idx"),
            models.Index(fields=["date_joined"], name="customer_date_joined_idx"),
            models.Index(fields=["orders_count"], name="customer_orders_count_idx"),
            models.Index(
                fields=["total_spent"], name="customer_total_spent_idx", include=["merged_into"]
            ),
            models.Index(fields=["last_order_at"], name="customer_last_order_at_idx"),
            models.Index(
                fields=["last_order"],
                name="customer_last_order_idx",
                condition=Q(last_order__isnull=False),
            ),
            # Few customers are merged: the index holds them alone.
            models.Index(
                fields=["merged_into"],
                name="customer_merged_into_idx",
                condition=Q(merged_into__isnull=False),
            ),
            # Duplicate candidates join customers of a channel on equal keys, where set (names
            # are compared only within one address key: no index of their own).
            *(
                models.Index(
                    fields=["channel", name], name=f"cust_{name}_idx", condition=~Q(**{name: ""})
                )
                for name in CUSTOMER_MATCH_KEY_FIELDS
                if name != "name_key"
            ),
        ]

    def __str__(self):
        return self.email

    @classmethod
    def listed_queryset(cls):
        """Every customer not merged into another: the base of every list (a merged customer
        is only an alias of the one it was merged into; customers.selectors.customer_all)."""
        return cls.objects.filter(merged_into__isnull=True)

    @classmethod
    def unlisted_queryset(cls):
        """The customers listed_queryset leaves out (merged ones: few, and indexed)."""
        return cls.objects.filter(merged_into__isnull=False)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def has_password(self) -> bool:
        return bool(self.password) and not self.password.startswith("!")


class Address(VersionedModel):
    # Only address_customer_recent_idx: addresses are read per customer, newest first.
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="addresses",
        db_index=False,
        verbose_name=_("customer"),
    )
    first_name, last_name, company = _name_fields()
    address = _text(NAME_LENGTH, verbose_name=_("address"))
    number = _text(CODE_LENGTH, verbose_name=_("number"))
    floor = _text(CODE_LENGTH, verbose_name=_("floor"))
    address2 = _text(NAME_LENGTH, verbose_name=_("address2"))
    address3 = _text(NAME_LENGTH, verbose_name=_("address3"))
    locality = _text(NAME_LENGTH, verbose_name=_("locality"))
    city = _text(NAME_LENGTH, verbose_name=_("city"))
    province = _text(NAME_LENGTH, verbose_name=_("province"))
    zipcode = _text(CODE_LENGTH, verbose_name=_("zipcode"))
    country = _text(2, verbose_name=_("country"))
    phone = _text(PHONE_LENGTH, verbose_name=_("phone"))
    is_default = models.BooleanField(default=False, verbose_name=_("is default"))
    is_billing = models.BooleanField(default=False, verbose_name=_("is billing"))

    history = HistoricalRecords(no_db_index=HISTORY_UNINDEXED_FIELDS, excluded_fields=["version"])

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="address_one_default_per_customer",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_billing=True),
                name="address_one_billing_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="address_country_iso3166",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="address_customer_recent_idx"),
        ]

    def __str__(self):
        return self.one_line()

    def one_line(self) -> str:
        return address_one_line({name: getattr(self, name) for name in ONE_LINE_FIELDS})


class CandidatePair(models.Model):
    """Two customers of one channel whose match keys say they may be one person: duplicate
    detection's candidates, kept by the writes (customers.match_pairs), never edited.

    A derived index of the match keys, like the keys of the fields: the lower id first,
    `reasons` a bitmask of customers.match_pairs.REASONS, `score` the sum of their weights.
    """

    # Indexed by candidate_pair_channel_idx (and customer_low by the unique constraint).
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer_low = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer_high = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reasons = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_low", "customer_high"], name="candidate_pair_unique"
            ),
            models.CheckConstraint(
                condition=Q(customer_low__lt=models.F("customer_high")),
                name="candidate_pair_ordered",
            ),
        ]
        # A page of candidates is a walk down one of these, best first, in a stable order.
        indexes = [
            models.Index(
                fields=["-score", "customer_low", "customer_high"], name="candidate_pair_best_idx"
            ),
            models.Index(
                fields=["channel", "-score", "customer_low", "customer_high"],
                name="candidate_pair_channel_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer_low_id} ~ {self.customer_high_id} ({self.score})"


# The parts of an address's one-line form, in its order ("street number" first).
ONE_LINE_FIELDS = ("address", "number", "address2", "locality", "city", "province", "country")


def address_one_line(values) -> str:
    """Return "street number, address2, locality, city, province, country" of an address
    (a mapping: an Address's fields, or an order's address snapshot); empty parts left out."""
    street = " ".join(part for part in (values.get("address"), values.get("number")) if part)
    parts = [street, *(values.get(name) for name in ONE_LINE_FIELDS[2:])]
    return ", ".join(part for part in parts if part)


# What no customer object, import or staff form writes: the keys (id, and the channel and
# e-mail a row is matched on), what Patron sets itself (the hash of `password`, the last
# sign-in, the order statistics), the timestamps and the version. Every other concrete field
# is written.
CUSTOMER_UNWRITTEN_FIELDS = frozenset(
    {
        "id",
        "channel",
        "email",
        "password",
        "last_login_at",
        "merged_into",
        *CUSTOMER_STATS_FIELDS,
        *CUSTOMER_MATCH_KEY_FIELDS,
        "created_at",
        "updated_at",
        "version",
    }
)
# The statistics as columns (`last_order_id`), as the API, the exports and the SQL name them.
CUSTOMER_STATS_COLUMNS = tuple(Customer._meta.get_field(n).attname for n in CUSTOMER_STATS_FIELDS)
# A customer's own fields that staff, the API and imports write (besides channel, email and
# password), in the model's order.
CUSTOMER_EDITABLE_FIELDS = tuple(
    f.name for f in Customer._meta.concrete_fields if f.name not in CUSTOMER_UNWRITTEN_FIELDS
)
ADDRESS_UNWRITTEN_FIELDS = frozenset({"id", "customer", "created_at", "updated_at", "version"})
_ADDRESS_WRITTEN = [
    f for f in Address._meta.concrete_fields if f.name not in ADDRESS_UNWRITTEN_FIELDS
]
# The address fields every representation shares: API, admin, imports, order snapshots.
ADDRESS_TEXT_FIELDS = tuple(f.name for f in _ADDRESS_WRITTEN if isinstance(f, models.CharField))
ADDRESS_FLAG_FIELDS = tuple(f.name for f in _ADDRESS_WRITTEN if isinstance(f, models.BooleanField))
