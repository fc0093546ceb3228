"""What is done for a person, one module per concept."""

from .base import CaseRecord
from .catalogue import ServiceCategory, ServiceType
from .delivery import ServiceRecord, ServiceStatus
from .episodes import EpisodeStage, Modality, Outcome, Stage, TreatmentEpisode
from .followup import FollowUp, FollowUpKind, PostRehabOutcome, PostRehabPeriod
from .screening import Screening, ScreeningScore
from .victims import IdentificationStatus, Reception, ShelterStay
from .vocational import IncomeBand, VocationalKind, VocationalOutcome, VocationalSupport

__all__ = [
    "CaseRecord",
    "EpisodeStage",
    "FollowUp",
    "FollowUpKind",
    "IdentificationStatus",
    "IncomeBand",
    "Modality",
    "Outcome",
    "PostRehabOutcome",
    "PostRehabPeriod",
    "Reception",
    "Screening",
    "ScreeningScore",
    "ServiceCategory",
    "ServiceRecord",
    "ServiceStatus",
    "ServiceType",
    "ShelterStay",
    "Stage",
    "TreatmentEpisode",
    "VocationalKind",
    "VocationalOutcome",
    "VocationalSupport",
]
