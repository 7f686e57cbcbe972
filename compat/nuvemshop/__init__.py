"""The Nuvemshop / Tiendanube dialect."""
