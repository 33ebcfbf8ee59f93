"""A study takes only synthetics that pass their trust checks: a case whose synthetic fails
one is refused when the study is prepared, unless the coordinator includes it with a reason
(``trust_overrides`` in the protocol, so the reason is part of the hashed protocol every
result row carries). Readers never see any of it: blinded arms carry no provenance."""

from __future__ import annotations

from inference import provenance as labels
from inference.errors import DcreviewError
from inference.io.volume import Volume
from inference.trust.findings import FAIL, TrustReport


class TrustRefused(DcreviewError):
    """A case's synthetic failed a trust check and no reason to include it was given."""


def trust_of(noncontrast: Volume, synthetic: Volume, checked: TrustReport | None) -> dict:
    """The verdict and flagged checks of a case's synthetic: from this run's synthesis, from
    the file's provenance, or (another product's synthetic) checked here against the shipped
    model card's promises."""
    if checked is None and labels.trust_verdict(synthetic.provenance):
        checked = TrustReport.from_dict(synthetic.provenance["trust"])
        source = "recorded with the synthetic"
    elif checked is None:
        from inference.synthesis.card import default_card
        from inference.trust.checks import check_synthetic

        checked = check_synthetic(noncontrast, synthetic, default_card())
        source = "checked when the study was prepared"
    else:
        source = "checked when it was synthesised"
    return {"verdict": checked.verdict, "source": source,
            "failed": [f.check for f in checked.findings if f.status == FAIL],
            "flagged": [f"{f.check} {f.status}" for f in checked.flagged]}


def admit(case_id: str, trust: dict, override: str | None) -> dict:
    """The trust record a prepared case keeps; refuses a failed one without a reason."""
    if not trust["failed"]:
        return trust
    if not override:
        raise TrustRefused(
            f"case {case_id}: its synthetic failed trust checks ({', '.join(trust['failed'])}; "
            f"verdict: {trust['verdict']}): refused from the study. To include it anyway, "
            f"give the reason in the protocol: [trust_overrides] {case_id} = \"...\"")
    return {**trust, "override": override}
