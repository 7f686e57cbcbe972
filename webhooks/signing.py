"""Standard Webhooks signatures (https://www.standardwebhooks.com/), by the reference library."""

import base64
import datetime
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def secret_generate() -> str:
    """Return a new signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers_sign(*, secret: str, message_id: str, at: datetime.datetime, body: bytes) -> dict:
    """Return the three Standard Webhooks headers for the body sent at `at`."""
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(at.timestamp())),
        SIGNATURE_HEADER: Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
    }
