"""The Akinon Omnitron dialect."""
