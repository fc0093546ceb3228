"""The actions on referrals and consent that an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import ACCESS_CHANGE, register


class ReferralAction:
    CONSENT_RECORDED = register("consent_recorded", _("Recorded a consent to share"))
    CONSENT_WITHDRAWN = register("consent_withdrawn", _("Recorded a withdrawal of consent"))
    REFERRAL_CREATED = register("referral_created", _("Drafted a referral"))
    REFERRAL_CHANGED = register("referral_changed", _("Changed a referral draft"))
    REFERRAL_SUBMITTED = register("referral_submitted", _("Submitted a referral for review"))
    REFERRAL_HOLDER_AGREED = register(
        "referral_holder_agreed", _("Agreed, as the case's holder, to a referral")
    )
    REFERRAL_APPROVED = register("referral_approved", _("Approved a referral"))
    REFERRAL_RETURNED = register("referral_returned", _("Returned a referral for changes"))
    REFERRAL_SENT = register("referral_sent", _("Sent a referral"))
    REFERRAL_ACCEPTED = register("referral_accepted", _("Accepted a referral"))
    REFERRAL_DECLINED = register("referral_declined", _("Declined a referral"))
    REFERRAL_COMPLETED = register("referral_completed", _("Completed a referral"))
    REFERRAL_REVOKED = register("referral_revoked", _("Revoked a referral"))
    # Shared without the person's consent (urgent, approved by a supervisor): always flagged
    # on the auditor's unusual-activity page, like every change of who may see a record.
    SENT_WITHOUT_CONSENT = register(
        "referral_sent_without_consent",
        _("Sent an urgent referral without consent"),
        kind=ACCESS_CHANGE,
    )
    # A case another organisation holds, referred on the supervisor's note alone.
    APPROVED_WITHOUT_HOLDER = register(
        "referral_approved_without_holder",
        _("Approved a referral of a case held elsewhere without the holder's agreement"),
        kind=ACCESS_CHANGE,
    )
    STAFF_ADDED = register(
        "referral_staff_added",
        _("Gave a colleague access to a referred case"),
        kind=ACCESS_CHANGE,
    )
