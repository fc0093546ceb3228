"""Print a fresh random 256-bit key: ``python -m core.keygen`` (works before settings exist)."""

import base64
import os

if __name__ == "__main__":
    print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))
