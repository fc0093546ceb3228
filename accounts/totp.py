"""Print the current TOTP code for a base32 secret: ``python -m accounts.totp SECRET``.

For demo testers without an authenticator app; real users use their phone.
"""

import base64
import sys

from django_otp.oath import totp


def code(secret: str) -> str:
    """Return the current 6-digit code for a base32 secret."""
    return f"{totp(base64.b32decode(secret.replace(' ', '').upper())):06d}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m accounts.totp <base32 secret>")
    print(code(sys.argv[1]))
