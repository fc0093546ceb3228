"""The staff roles, declared in core (core.roles) under the capability table; re-exported."""

from core.roles import Role as Role
