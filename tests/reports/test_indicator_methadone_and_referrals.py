"""The methadone (MMT_*) and referral (REF_*) indicators, registered from their own apps.

Period 01/01/2025–30/06/2025 unless said; rows 981 (98101 + 98102), 982 (98201), 98001.

Methadone episodes (person: commune):
M1 98101 from 10/07/2024, open. 6-month mark 10/01/2025 (in the period) → retained.
M2 98101 31/08/2024–28/02/2025 dropped out: mark 28/02/2025 (31/08 + 6 months, clamped);
   ended on the mark → retained (the end day counts).
M3 98102 15/09/2024–20/01/2025 transferred before its mark (15/03/2025): left out.
M4 98201 01/10/2024–01/03/2025 dropped out: mark 01/04/2025 → not retained.
M5 98201 from 01/02/2024, open: 12-month mark 01/02/2025 → retained at 12 months.
M6 98001 15/03/2024–10/01/2025 died: 12-month mark 15/03/2025 → not retained.
M7 98001 from 01/05/2025, open.
M9 98102 two episodes: clinic A 01/05/2025–04/06/2025 transferred, clinic B from 05/06/2025.
A facility episode of an M8 in 98101 counts nowhere.
MMT_IN_TREATMENT on 30/06/2025: M1 M9 (981), M5 (982), M7 (98001) → 2, 1, 1, total 4.
MMT_RETENTION_6 (marks in the period): M1 M2 (981) 2/2, M4 (982) 0/1 → total 2/3.
MMT_RETENTION_12: M5 (982) 1/1, M6 (98001) 0/1 → total 1/2.
MMT_ADHERENCE over 01–10/06/2025 (10 days): M1 observed 01–08/06, a missed row 09/06, no
  row 10/06 → 8/10 = 80 %: adheres (the bound is included). M5 observed 01–07/06 → 70 %: no.
  M7 take-home every day (and a row on 11/06, outside) → 10/10. M9: dosed 01–04/06 on the
  first episode (4 expected) and 05–08/06 on the second (6 expected) → 8/10 = 80 % as a
  person (the second episode alone would be 4/6). → 981 M1 M9 2/2; 982 M5 0/1; 98001 M7 1/1;
  total 3/4.
MMT_INJECTING (methadone patients during the period: 981 M1 M2 M3 M9, 982 M4 M5, 98001 M6
  M7): M1 ASSIST 01/03/2025 injected in the past 3 months → yes; M4 01/08/2024 yes, within
  12 months of 30/06/2025 → yes; M5 01/05/2024 yes but more than 12 months before → no; M7
  02/05/2025 "not in the past 3 months" → no. → 981 1/4, 982 1/2, 98001 0/2, total 2/8.

Referrals sent in the period (days to the answer):
R1 98101 F accepted, sent 10/01, answered 14/01 (4 days); R2 same person, completed, 01/02 →
11/02 (10 days); R3 98102 M declined 01/03 → 03/03; R4 98201 M sent 01/04, no answer;
R5 98201 F completed, 01/05 → 07/05 (6 days); R6 98001 sent 30/12/2024 (before the period);
R7 98001 a draft (never sent).
REF_SENT 981 3, 982 2, 98001 0, total 5. REF_ACCEPTED 981 2, 982 1, total 3. REF_COMPLETED
981 1, 982 1, total 2. REF_MEDIAN_DAYS: 981 median(4, 10) = 7 of 2; 982 6 of 1; 98001 none;
total median(4, 10, 6) = 6 of 3; by sex F median(4, 10, 6) = 6 of 3, M none of 0.
"""

from __future__ import annotations

import datetime

import pytest

from referrals.models import State
from reports import registry
from reports.registry import Period
from services.methadone.models import Dose, DoseKind
from services.models import TreatmentEpisode
from tests.conftest import World
from tests.referrals.support import make_referral

from .support import D, Data, compute, pairs

pytestmark = pytest.mark.django_db

JUNE = Period(D(2025, 6, 1), D(2025, 6, 10))


def _ids(world: World) -> tuple[int, int, int]:
    return world.units["d1"].pk, world.units["d2"].pk, world.units["c4"].pk


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def clinic(world: World) -> Data:
    data = Data(world)

    def mmt(
        commune: str,
        start: datetime.date,
        end: datetime.date | None = None,
        outcome: str | None = None,
        case: object = None,
    ) -> TreatmentEpisode:
        owner = case or data.case(data.person(commune), opened=D(2023, 1, 1))
        return data.episode(
            owner, start, end, outcome, modality="methadone",  # type: ignore[arg-type]
            provider="clinic_a",
        )  # fmt: skip

    def doses(episode: TreatmentEpisode, days: list[datetime.date], kind: int) -> None:
        Dose.objects.bulk_create(
            Dose(
                episode=episode,
                given_on=day,
                kind=kind,
                recorded_by=data.user,
                dose_mg=None if kind == DoseKind.MISSED else 60,
            )
            for day in days
        )

    m1 = mmt("c1", D(2024, 7, 10))
    doses(m1, _days(D(2025, 6, 1), D(2025, 6, 8)), DoseKind.OBSERVED)
    doses(m1, [D(2025, 6, 9)], DoseKind.MISSED)
    data.screening(m1.case, D(2025, 3, 1), injecting="yes_recent")
    mmt("c1", D(2024, 8, 31), D(2025, 2, 28), "dropped_out")
    mmt("c2", D(2024, 9, 15), D(2025, 1, 20), "transferred")
    m4 = mmt("c3", D(2024, 10, 1), D(2025, 3, 1), "dropped_out")
    data.screening(m4.case, D(2024, 8, 1), injecting="yes_recent")
    m5 = mmt("c3", D(2024, 2, 1))
    doses(m5, _days(D(2025, 6, 1), D(2025, 6, 7)), DoseKind.OBSERVED)
    data.screening(m5.case, D(2024, 5, 1), injecting="yes_recent")
    mmt("c4", D(2024, 3, 15), D(2025, 1, 10), "died")
    m7 = mmt("c4", D(2025, 5, 1))
    doses(m7, _days(D(2025, 6, 1), D(2025, 6, 11)), DoseKind.TAKE_HOME)
    data.screening(m7.case, D(2025, 5, 2), injecting="yes_earlier")
    m9a = mmt("c2", D(2025, 5, 1), D(2025, 6, 4), "transferred")
    doses(m9a, _days(D(2025, 6, 1), D(2025, 6, 4)), DoseKind.OBSERVED)
    m9b = data.episode(m9a.case, D(2025, 6, 5), modality="methadone", provider="clinic_b")
    doses(m9b, _days(D(2025, 6, 5), D(2025, 6, 8)), DoseKind.OBSERVED)
    data.episode(data.case(data.person("c1")), D(2025, 1, 1), modality="facility_voluntary")
    return data


def test_methadone_indicators_are_registered_by_the_methadone_app() -> None:
    codes = {i.code for i in registry.indicators("methadone")}
    assert codes == {
        "MMT_IN_TREATMENT",
        "MMT_RETENTION_6",
        "MMT_RETENTION_12",
        "MMT_ADHERENCE",
        "MMT_INJECTING",
    }
    # The definitions live in the methadone app: the registry is a plug-in point.
    share = registry.get("MMT_ADHERENCE").compute.__self__  # type: ignore[attr-defined]
    assert share.population.__module__ == "services.methadone.indicators"
    assert registry.get("REF_MEDIAN_DAYS").compute.__module__ == "referrals.indicators"


def test_in_treatment_at_the_period_end(clinic: Data) -> None:
    d1, d2, c4 = _ids(clinic.world)
    found = pairs(compute("MMT_IN_TREATMENT", clinic.query()))
    assert found == {
        (d1, None): (2, None),
        (d2, None): (1, None),
        (c4, None): (1, None),
        (None, None): (4, None),
    }


def test_retention_at_six_and_twelve_months(clinic: Data) -> None:
    d1, d2, c4 = _ids(clinic.world)
    six = pairs(compute("MMT_RETENTION_6", clinic.query()))
    assert six == {(d1, None): (2, 2), (d2, None): (0, 1), (c4, None): (0, 0), (None, None): (2, 3)}
    twelve = pairs(compute("MMT_RETENTION_12", clinic.query()))
    assert twelve == {
        (d1, None): (0, 0),
        (d2, None): (1, 1),
        (c4, None): (0, 1),
        (None, None): (1, 2),
    }


def test_adherence_of_people_over_their_expected_days(clinic: Data) -> None:
    d1, d2, c4 = _ids(clinic.world)
    found = pairs(compute("MMT_ADHERENCE", clinic.query(JUNE)))
    assert found == {
        (d1, None): (2, 2),
        (d2, None): (0, 1),
        (c4, None): (1, 1),
        (None, None): (3, 4),
    }
    by_sex = pairs(compute("MMT_ADHERENCE", clinic.query(JUNE, breakdown="sex")))
    assert by_sex[(None, "M")] == (3, 4)
    assert by_sex[(None, "F")] == (0, 0)


def test_people_who_inject(clinic: Data) -> None:
    d1, d2, c4 = _ids(clinic.world)
    found = pairs(compute("MMT_INJECTING", clinic.query()))
    assert found == {
        (d1, None): (1, 4),
        (d2, None): (1, 2),
        (c4, None): (0, 2),
        (None, None): (2, 8),
    }


@pytest.fixture
def referrals(world: World) -> Data:
    data = Data(world)

    def referral(
        case: object, state: str, sent: datetime.date | None, answered: datetime.date | None
    ) -> None:
        found = make_referral(world, case, state=state)  # type: ignore[arg-type]
        type(found).objects.filter(pk=found.pk).update(sent_on=sent, answered_on=answered)

    f1 = data.case(data.person("c1", "F"))
    referral(f1, State.ACCEPTED, D(2025, 1, 10), D(2025, 1, 14))
    referral(f1, State.COMPLETED, D(2025, 2, 1), D(2025, 2, 11))
    referral(data.case(data.person("c2", "M")), State.DECLINED, D(2025, 3, 1), D(2025, 3, 3))
    referral(data.case(data.person("c3", "M")), State.SENT, D(2025, 4, 1), None)
    referral(data.case(data.person("c3", "F")), State.COMPLETED, D(2025, 5, 1), D(2025, 5, 7))
    referral(data.case(data.person("c4")), State.ACCEPTED, D(2024, 12, 30), D(2025, 1, 2))
    referral(data.case(data.person("c4")), State.DRAFT, None, None)
    return data


def test_referrals_sent_accepted_completed(referrals: Data) -> None:
    d1, d2, c4 = _ids(referrals.world)
    q = referrals.query()
    assert pairs(compute("REF_SENT", q)) == {
        (d1, None): (3, None),
        (d2, None): (2, None),
        (c4, None): (0, None),
        (None, None): (5, None),
    }
    assert pairs(compute("REF_ACCEPTED", q)) == {
        (d1, None): (2, None),
        (d2, None): (1, None),
        (c4, None): (0, None),
        (None, None): (3, None),
    }
    assert pairs(compute("REF_COMPLETED", q)) == {
        (d1, None): (1, None),
        (d2, None): (1, None),
        (c4, None): (0, None),
        (None, None): (2, None),
    }


def test_referral_median_days(referrals: Data) -> None:
    d1, d2, c4 = _ids(referrals.world)
    found = compute("REF_MEDIAN_DAYS", referrals.query())
    assert {key: (cell.numerator, cell.value) for key, cell in found.items()} == {
        (d1, None): (2, 7.0),
        (d2, None): (1, 6.0),
        (c4, None): (0, None),
        (None, None): (3, 6.0),
    }
    by_sex = compute("REF_MEDIAN_DAYS", referrals.query(breakdown="sex"))
    assert (by_sex[(None, "F")].numerator, by_sex[(None, "F")].value) == (3, 6.0)
    assert (by_sex[(None, "M")].numerator, by_sex[(None, "M")].value) == (0, None)
    assert (by_sex[(d1, "F")].numerator, by_sex[(d1, "F")].value) == (2, 7.0)
