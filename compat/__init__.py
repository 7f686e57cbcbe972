"""Drop-in dialects: other platforms' customer APIs served over Patron's services.

Each sub-package translates one platform's names, shapes and status codes and calls the same
services, selectors and validator as the native API; no rule lives here.
"""
