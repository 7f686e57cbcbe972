from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import CODE_LENGTH, NAME_LENGTH, Customer, VersionedModel


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class UserGroup(VersionedModel):
    """A customer group, used for pricing, segmentation and opt-in mailing lists."""

    Visibility = Visibility

    code = models.SlugField(max_length=CODE_LENGTH, unique=True, verbose_name=_("code"))
    title = models.CharField(max_length=NAME_LENGTH, verbose_name=_("title"))
    description = models.TextField(blank=True, default="", verbose_name=_("description"))
    visibility = models.CharField(
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
        verbose_name=_("visibility"),
    )
    subscribe_text = models.TextField(blank=True, default="", verbose_name=_("subscribe text"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    customers = models.ManyToManyField(
        Customer,
        through="UserCustomerGroup",
        related_name="groups",
        blank=True,
        verbose_name=_("customers"),
    )

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["code"]
        # "Groups" alone is read as Django's permission groups in the admin.
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="usergroup_code_not_empty"),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="usergroup_not_own_parent"),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="usergroup_visibility_valid"
            ),
        ]

    def __str__(self):
        return self.code


class UserCustomerGroup(VersionedModel):
    """A customer's membership of a group, with its own opt-in flag and custom data."""

    # No single-column indexes: membership_unique starts with the customer,
    # membership_group_customer_idx with the group.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        verbose_name=_("customer"),
    )
    group = models.ForeignKey(
        UserGroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        verbose_name=_("group"),
    )
    subscribed = models.BooleanField(default=True, verbose_name=_("subscribed"))
    attributes = models.JSONField(default=dict, blank=True, verbose_name=_("attributes"))

    history = HistoricalRecords(
        no_db_index=["customer", "group", "created_at", "updated_at"], excluded_fields=["version"]
    )

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "group"], name="membership_unique"),
        ]
        indexes = [
            models.Index(fields=["group", "customer"], name="membership_group_customer_idx"),
        ]

    def __str__(self):
        # Named by its group: the customer's page lists its memberships (selecting the group
        # with them), the membership list shows the customer in a column of its own.
        return f"{self.group.title or self.group.code} ({self.group.code})"
