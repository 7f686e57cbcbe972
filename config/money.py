"""Amounts as staff read them: always with their currency, since channels sell in USD, EUR,
BRL and MXN and a bare number would add reais to dollars."""

from decimal import Decimal

NO_AMOUNT = "-"


def money_format(amount: Decimal | int | None, currency: str) -> str:
    """Write the amount as "1,234.56 BRL": two decimals, thousands separated, the ISO 4217
    code after (without a currency, as for a customer with no orders yet: the number alone)."""
    if amount is None:
        return NO_AMOUNT
    text = f"{Decimal(amount):,.2f}"
    return f"{text} {currency}" if currency else text
