"""A plain DRF customer list over Patron's tables: unmanaged models, a ModelViewSet."""
