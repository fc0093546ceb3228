"""The registry of instrument definitions and the rule that released versions never change.

Sources of the definitions checked here: WHO, "The Alcohol, Smoking and Substance Involvement
Screening Test (ASSIST): manual for use in primary care", 2010 (ASSIST v3.0); APA, DSM-5, 2013,
Substance-Related and Addictive Disorders; Law on Prevention and Combat of Human Trafficking
(2024), Article 37 (victim needs, version 1).
"""

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import polib
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise

from services import instruments
from services.instruments import (
    Instrument,
    Registry,
    Result,
    UnknownInstrumentError,
    assist_v3_0,
    assist_v3_0_2,
    dsm5_sud_v1,
    victim_needs_v1,
)
from services.instruments.base import Answers

LOCALE = Path(__file__).resolve().parents[2] / "locale"
KEY = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")

# A released definition is frozen: its questions, answer codes, weights and limits hash to
# this value. If a test below fails, do not update the hash: add a new version instead, so
# screenings stored under the old one keep scoring the way they did.
RELEASED = {
    ("assist", "3.0"): "f27fa9a0c1c42974b16b5a5f394d831f56ff940160219d3fc7ffb47de31d30a9",
    ("assist", "3.0-2"): "d307e8fc6ddb8398cb36047169771a1d09d767ccb9b6c0e94eaeab008f50981e",
    ("dsm5_sud", "1"): "34ae706cd844f649b3a210aa7aa461138d3c89321167f32d27fb172b686e88ef",
    ("victim_needs", "1"): "d47c3d93296070d3e5c250c20de67bf0371c17028203e0f7f43d15232f4e8c6c",
}


def fingerprint(instrument: Instrument) -> str:
    """Return a hash of everything that decides how answers are read and scored."""
    shape = [
        [
            slot.key,
            slot.question.max_length,
            [[option.code, option.points] for option in slot.question.options],
        ]
        for slot in instrument.fields
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()


def test_every_instrument_is_registered_once_by_code_and_version() -> None:
    keys = [(each.code, each.version) for each in instruments.all()]
    assert keys == [
        ("assist", "3.0"),
        ("assist", "3.0-2"),
        ("dsm5_sud", "1"),
        ("victim_needs", "1"),
    ]
    assert instruments.get("assist", "3.0") is assist_v3_0.ASSIST_V3_0
    assert instruments.get("assist", "3.0-2") is assist_v3_0_2.ASSIST_V3_0_2
    assert instruments.get("dsm5_sud", "1") is dsm5_sud_v1.DSM5_SUD_V1
    assert instruments.get("victim_needs", "1") is victim_needs_v1.VICTIM_NEEDS_V1
    assert instruments.latest("assist") is assist_v3_0_2.ASSIST_V3_0_2
    assert instruments.current() == instruments.all()[1:]


@pytest.mark.parametrize(("code", "version"), [("assist", "3.1"), ("audit", "1"), ("", "")])
def test_an_unknown_code_or_version_is_a_clear_lookup_error(code: str, version: str) -> None:
    with pytest.raises(UnknownInstrumentError, match="is registered"):
        instruments.get(code, version)
    assert issubclass(UnknownInstrumentError, LookupError)


def test_latest_of_an_unknown_code_is_a_lookup_error() -> None:
    with pytest.raises(UnknownInstrumentError):
        instruments.latest("audit")


def test_a_version_cannot_be_registered_twice() -> None:
    registry = Registry()
    registry.register(assist_v3_0.ASSIST_V3_0)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(dataclasses.replace(assist_v3_0.ASSIST_V3_0))


def test_an_old_version_keeps_scoring_the_way_it_did_after_a_new_one_is_added() -> None:
    def doubled(instrument: Instrument, answers: Answers) -> Result:
        result = assist_v3_0.score(instrument, answers)
        return dataclasses.replace(result, total=-1)

    registry = Registry()
    registry.register(assist_v3_0.ASSIST_V3_0)
    newer = registry.register(
        dataclasses.replace(assist_v3_0.ASSIST_V3_0, version="9.9", scorer=doubled)
    )
    answers = {f"{code}_q1": "no" for code in ("tobacco", "alcohol", "cannabis", "cocaine")}
    answers |= {f"{c}_q1": "no" for c in ("amphetamines", "inhalants", "sedatives")}
    answers |= {f"{c}_q1": "no" for c in ("hallucinogens", "opioids", "other")}
    assert registry.latest("assist") is newer
    assert registry.get("assist", "3.0").score(answers).total is None
    assert registry.get("assist", "9.9").score(answers).total == -1
    assert registry.current() == (newer,)


@pytest.mark.parametrize("instrument", instruments.all(), ids=lambda i: f"{i.code}-{i.version}")
def test_released_definitions_are_frozen(instrument: Instrument) -> None:
    assert fingerprint(instrument) == RELEASED[(instrument.code, instrument.version)], (
        "a released definition changed: add a new version instead of editing it"
    )


@pytest.mark.parametrize("instrument", instruments.all(), ids=lambda i: f"{i.code}-{i.version}")
def test_answer_keys_are_unique_and_stable_identifiers(instrument: Instrument) -> None:
    keys = [slot.key for slot in instrument.fields]
    assert len(keys) == len(set(keys))
    assert all(KEY.match(key) for key in keys), keys
    for slot in instrument.fields:
        codes = [option.code for option in slot.question.options]
        assert len(codes) == len(set(codes)) and all(KEY.match(code) for code in codes)
        assert slot.question.free_text == (slot.question.max_length > 0)


def _texts(instrument: Instrument) -> list[Promise]:
    """Return every translatable text of a definition (not the composed field labels)."""
    texts: list[object] = [instrument.name]
    for slot in instrument.fields:
        question = slot.question
        texts += [question.label, question.text, *(option.label for option in question.options)]
        if slot.subject is not None:
            texts += [slot.subject.name, slot.subject.examples]
    return [text for text in texts if isinstance(text, Promise)]


def _pending() -> set[str]:
    path = LOCALE / "pending" / "instruments.json"
    return set(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else set()


def test_every_instrument_text_has_a_vietnamese_translation() -> None:
    """In the catalog once merged, or waiting in locale/pending/instruments.json until then."""
    catalog = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in catalog if entry.msgstr} | _pending()
    levels = [label for each in instruments.all() for label in each.levels.values()]
    with translation.override("en"):
        msgids = {str(text) for each in instruments.all() for text in _texts(each)}
        msgids |= {str(label) for label in levels}
    assert sorted(msgids - translated) == []


def test_every_validation_message_has_a_vietnamese_translation() -> None:
    catalog = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in catalog if entry.msgstr} | _pending()
    answers = {"bogus": "1", "tobacco_q1": "maybe", "alcohol_q1": "no", "alcohol_q2": "daily"}
    answers |= {"other_q1": "yes", "other_specify": "x" * 300}
    needs = {"health_notes": 5}
    messages = set()
    for instrument, given in (
        (assist_v3_0.ASSIST_V3_0, answers),
        (victim_needs_v1.VICTIM_NEEDS_V1, needs),
    ):
        with pytest.raises(ValidationError) as raised:
            instrument.score(given)
        with translation.override("en"):
            messages |= {
                str(e.message) for errors in raised.value.error_dict.values() for e in errors
            }
    assert len(messages) == 6  # unknown, required, invalid choice, not asked, too long, not text
    assert sorted(messages - translated) == []
