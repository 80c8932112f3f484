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

    from fairpool.audit import monitor       # the audit per period, and a change test
    watch = monitor(df, target="y", sensitive="sex", pred="model", time_column="date",
                    period="month")

Interop with fairlearn (MetricFrame), AIF360, Aequitas and TFMA: ``to_*`` / ``from_*``.
Stress tests of the sources of bias (``stress_test``, ``plot_stress_test``; the
``fairpool stress`` command) and SHAP explanations compared across groups
(``explain_by_group``).

See docs/audit.md ("Subgroups and worst slices"), docs/monitoring.md and
docs/evaluation.md.
"""

from fairpool.audit._audit import (
    FOUR_FIFTHS,
    MISSING_POLICIES,
    AuditResult,
    audit_file,
    audit_frame,
)
from fairpool.audit._change import disparity_change_test
from fairpool.audit._explain import GroupExplanation, explain_by_group
from fairpool.audit._interop_aequitas import (
    AEQUITAS_COLUMNS,
    aequitas_crosstab,
    from_aequitas_crosstab,
    to_aequitas_frame,
)
from fairpool.audit._interop_aif360 import aif360_metric, from_aif360, to_aif360
from fairpool.audit._interop_fairlearn import from_metric_frame, to_metric_frame
from fairpool.audit._interop_tfma import read_tfma_json, to_tfma_json
from fairpool.audit._labels import Labels, encode_predictions, encode_target
from fairpool.audit._mitigate import (
    MITIGATION_METHODS,
    MitigationReport,
    mitigation_report,
    mitigation_split,
    print_mitigation,
)
from fairpool.audit._monitor import PERIODS, MonitorResult, monitor, monitor_file
from fairpool.audit._monitor_render import print_monitor
from fairpool.audit._render import FORMATS, check_format, print_audit, render_frame
from fairpool.audit._slices import SLICE_METRICS, slice_score, worst_slices
from fairpool.audit._stress import BIAS_SOURCES, STRESS_METRICS, plot_stress_test, stress_test
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
    "AEQUITAS_COLUMNS",
    "BIAS_SOURCES",
    "CORRECTIONS",
    "FORMATS",
    "FOUR_FIFTHS",
    "MISSING_POLICIES",
    "MITIGATION_METHODS",
    "PERIODS",
    "SLICE_METRICS",
    "STRESS_METRICS",
    "SUBGROUP_METRICS",
    "AuditResult",
    "GroupExplanation",
    "Labels",
    "MitigationReport",
    "MonitorResult",
    "SubgroupAudit",
    "aequitas_crosstab",
    "aif360_metric",
    "audit_file",
    "audit_frame",
    "check_format",
    "disparity_change_test",
    "encode_predictions",
    "encode_target",
    "explain_by_group",
    "fisher_two_sided",
    "from_aequitas_crosstab",
    "from_aif360",
    "from_metric_frame",
    "mitigation_report",
    "mitigation_split",
    "monitor",
    "monitor_file",
    "plot_stress_test",
    "print_audit",
    "print_mitigation",
    "print_monitor",
    "print_subgroup_audit",
    "read_table",
    "read_tfma_json",
    "render_frame",
    "slice_score",
    "sniff_delimiter",
    "stress_test",
    "subgroup_audit",
    "subgroup_audit_file",
    "subgroups",
    "to_aequitas_frame",
    "to_aif360",
    "to_metric_frame",
    "to_tfma_json",
    "worst_slices",
]
