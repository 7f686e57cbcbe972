"""Patron's customer tables seen as unmanaged models: the plain DRF project only reads them."""

from django.db import models


class Channel(models.Model):
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "customers_channel"

    def __str__(self):
        return self.code


class Customer(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.DO_NOTHING)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    email = models.CharField(max_length=254)
    username = models.CharField(max_length=255, null=True)
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    company = models.CharField(max_length=255)
    phone = models.CharField(max_length=128)
    phone_secondary = models.CharField(max_length=128)
    identification = models.CharField(max_length=64)
    note = models.TextField()
    status = models.CharField(max_length=16)
    gender = models.CharField(max_length=16)
    user_type = models.CharField(max_length=16)
    date_of_birth = models.DateField(null=True)
    date_joined = models.DateTimeField()
    email_allowed = models.BooleanField()
    sms_allowed = models.BooleanField()
    call_allowed = models.BooleanField()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2)
    preferred_shipping_method = models.CharField(max_length=64)
    erp_code = models.CharField(max_length=64)
    channel_code = models.CharField(max_length=64)
    attributes = models.JSONField()
    extra_field = models.JSONField()
    last_login_at = models.DateTimeField(null=True)
    orders_count = models.IntegerField()
    total_spent = models.DecimalField(max_digits=14, decimal_places=2)
    total_spent_currency = models.CharField(max_length=3)
    first_order_at = models.DateTimeField(null=True)
    last_order_at = models.DateTimeField(null=True)
    last_order_id = models.BigIntegerField(null=True)
    version = models.IntegerField()

    class Meta:
        managed = False
        db_table = "customers_customer"

    def __str__(self):
        return self.email


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.DO_NOTHING, related_name="addresses")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    company = models.CharField(max_length=255)
    address = models.CharField(max_length=255)
    number = models.CharField(max_length=32)
    floor = models.CharField(max_length=32)
    address2 = models.CharField(max_length=255)
    address3 = models.CharField(max_length=255)
    locality = models.CharField(max_length=255)
    city = models.CharField(max_length=255)
    province = models.CharField(max_length=255)
    zipcode = models.CharField(max_length=32)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=128)
    is_default = models.BooleanField()
    is_billing = models.BooleanField()
    version = models.IntegerField()

    class Meta:
        managed = False
        db_table = "customers_address"

    def __str__(self):
        return f"{self.address} {self.number}"
