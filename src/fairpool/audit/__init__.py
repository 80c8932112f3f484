"""Audit a user's table: the data itself, or a model's predictions on it.

What ``fairpool audit`` runs, and its Python API::

    from fairpool.audit import audit_file, print_audit
    result = audit_file("decisions.csv", target="decision", sensitive=["sex", "race"],
                        pred="model", pos_label="approved")
    result.headline          # DP, disparate impact (four-fifths), EO, EOp, base rates
    result.by_group          # every rate, Wilson intervals, small groups flagged
    print_audit(result, format="json")

    from fairpool.audit import subgroups, worst_slices
    table = subgroups(y_true, y_pred, sensitive_features=df[["sex", "race", "age"]],
                      ci="bootstrap", random_state=0, rank_by="fnr")
    slices = worst_slices(y_true, y_pred, features=df, metric="fnr", max_depth=3)

See docs/audit.md ("Subgroups and worst slices").
"""

from fairpool.audit._audit import (
    FOUR_FIFTHS,
    MISSING_POLICIES,
    AuditResult,
    audit_file,
    audit_frame,
)
from fairpool.audit._labels import Labels, encode_predictions, encode_target
from fairpool.audit._mitigate import (
    MITIGATION_METHODS,
    MitigationReport,
    mitigation_report,
    mitigation_split,
    print_mitigation,
)
from fairpool.audit._render import FORMATS, check_format, print_audit, render_frame
from fairpool.audit._slices import SLICE_METRICS, slice_score, worst_slices
from fairpool.audit._subgroup_report import (
    SubgroupAudit,
    print_subgroup_audit,
    subgroup_audit,
    subgroup_audit_file,
)
from fairpool.audit._subgroups import (
    CORRECTIONS,
    SUBGROUP_METRICS,
    fisher_two_sided,
    subgroups,
)
from fairpool.datasets import read_table, sniff_delimiter

__all__ = [
    "CORRECTIONS",
    "FORMATS",
    "FOUR_FIFTHS",
    "MISSING_POLICIES",
    "MITIGATION_METHODS",
    "SLICE_METRICS",
    "SUBGROUP_METRICS",
    "AuditResult",
    "Labels",
    "MitigationReport",
    "SubgroupAudit",
    "audit_file",
    "audit_frame",
    "check_format",
    "encode_predictions",
    "encode_target",
    "fisher_two_sided",
    "mitigation_report",
    "mitigation_split",
    "print_audit",
    "print_mitigation",
    "print_subgroup_audit",
    "read_table",
    "render_frame",
    "slice_score",
    "sniff_delimiter",
    "subgroup_audit",
    "subgroup_audit_file",
    "subgroups",
    "worst_slices",
]
