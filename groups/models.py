from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from customers.models import CODE_LENGTH, NAME_LENGTH, Customer, VersionedModel


class Visibility(models.TextChoices):
    PUBLIC = "public"
    PRIVATE = "private"


class UserGroup(VersionedModel):
    """A customer group, used for pricing, segmentation and opt-in mailing lists."""

    Visibility = Visibility

    code = models.SlugField(max_length=CODE_LENGTH, unique=True)
    title = models.CharField(max_length=NAME_LENGTH)
    description = models.TextField(blank=True, default="")
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    subscribe_text = models.TextField(blank=True, default="")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    customers = models.ManyToManyField(
        Customer, through="UserCustomerGroup", related_name="groups", blank=True
    )

    class Meta:
        ordering = ["code"]
        # "Groups" alone is read as Django's permission groups in the admin.
        verbose_name = "customer group"
        verbose_name_plural = "customer groups"
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
        Customer, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    group = models.ForeignKey(
        UserGroup, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    subscribed = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords(
        no_db_index=["customer", "group", "created_at", "updated_at"], excluded_fields=["version"]
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "group membership"
        verbose_name_plural = "group memberships"
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
