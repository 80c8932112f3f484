"""Audit a user's table: the data itself, or a model's predictions on it.

What ``fairpool audit`` runs, and its Python API::

    from fairpool.audit import audit_file, print_audit
    result = audit_file("decisions.csv", target="decision", sensitive=["sex", "race"],
                        pred="model", pos_label="approved")
    result.headline          # DP, disparate impact (four-fifths), EO, EOp, base rates
    result.by_group          # every rate, Wilson intervals, small groups flagged
    print_audit(result, format="json")

Stress tests of the sources of bias (``stress_test``, ``plot_stress_test``; the
``fairpool stress`` command) and SHAP explanations compared across groups
(``explain_by_group``) are in docs/evaluation.md.

See docs/audit.md.
"""

from fairpool.audit._audit import (
    FOUR_FIFTHS,
    MISSING_POLICIES,
    AuditResult,
    audit_file,
    audit_frame,
)
from fairpool.audit._explain import GroupExplanation, explain_by_group
from fairpool.audit._labels import Labels, encode_predictions, encode_target
from fairpool.audit._mitigate import (
    MITIGATION_METHODS,
    MitigationReport,
    mitigation_report,
    mitigation_split,
    print_mitigation,
)
from fairpool.audit._render import FORMATS, check_format, print_audit, render_frame
from fairpool.audit._stress import BIAS_SOURCES, STRESS_METRICS, plot_stress_test, stress_test
from fairpool.datasets import read_table, sniff_delimiter

__all__ = [
    "BIAS_SOURCES",
    "FORMATS",
    "FOUR_FIFTHS",
    "MISSING_POLICIES",
    "MITIGATION_METHODS",
    "AuditResult",
    "GroupExplanation",
    "Labels",
    "MitigationReport",
    "STRESS_METRICS",
    "audit_file",
    "audit_frame",
    "check_format",
    "encode_predictions",
    "explain_by_group",
    "encode_target",
    "mitigation_report",
    "mitigation_split",
    "plot_stress_test",
    "print_audit",
    "print_mitigation",
    "read_table",
    "render_frame",
    "sniff_delimiter",
    "stress_test",
]
