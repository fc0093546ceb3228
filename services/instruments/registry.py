"""The registry of instrument definitions by (code, version).

A stored screening names the code and version it was scored with; ``get`` returns that exact
definition, so an old screening keeps its questions and scoring after a newer version of the
same instrument is added.
"""

from .base import Instrument


class UnknownInstrumentError(LookupError):
    """No instrument is registered under this code and version."""


class Registry:
    """Instrument definitions by (code, version), in the order they were registered."""

    def __init__(self) -> None:
        self._definitions: dict[tuple[str, str], Instrument] = {}

    def register(self, instrument: Instrument) -> Instrument:
        """Add a definition; a (code, version) already taken is refused."""
        key = (instrument.code, instrument.version)
        if key in self._definitions:
            raise ValueError(f"instrument {key[0]} version {key[1]} is already registered")
        self._definitions[key] = instrument
        return instrument

    def get(self, code: str, version: str) -> Instrument:
        """Return the definition of this code and version, or raise UnknownInstrumentError."""
        try:
            return self._definitions[(code, version)]
        except KeyError:
            raise UnknownInstrumentError(
                f"no instrument {code!r} version {version!r} is registered"
            ) from None

    def all(self) -> tuple[Instrument, ...]:
        """Return every definition, old versions included."""
        return tuple(self._definitions.values())

    def latest(self, code: str) -> Instrument:
        """Return the newest registered version of an instrument, the one new screenings use."""
        versions = [each for each in self._definitions.values() if each.code == code]
        if not versions:
            raise UnknownInstrumentError(f"no instrument {code!r} is registered")
        return versions[-1]

    def current(self) -> tuple[Instrument, ...]:
        """Return the newest version of each instrument."""
        codes = dict.fromkeys(each.code for each in self._definitions.values())
        return tuple(self.latest(code) for code in codes)
