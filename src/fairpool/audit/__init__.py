"""Audit a user's table: the data itself, or a model's predictions on it.

What ``fairpool audit`` runs, and its Python API::

    from fairpool.audit import audit_file, print_audit
    result = audit_file("decisions.csv", target="decision", sensitive=["sex", "race"],
                        pred="model", pos_label="approved")
    result.headline          # DP, disparate impact (four-fifths), EO, EOp, base rates
    result.by_group          # every rate, Wilson intervals, small groups flagged
    print_audit(result, format="json")

    from fairpool.audit import monitor       # the audit per period, and a change test
    watch = monitor(df, target="y", sensitive="sex", pred="model", time_column="date",
                    period="month")

Interop with fairlearn (MetricFrame), AIF360, Aequitas and TFMA: ``to_*`` / ``from_*``.

Stress tests of the sources of bias (``stress_test``, ``plot_stress_test``; the
``fairpool stress`` command) and SHAP explanations compared across groups
(``explain_by_group``) are in docs/evaluation.md.

See docs/audit.md, docs/monitoring.md and docs/evaluation.md.
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
from fairpool.audit._stress import BIAS_SOURCES, STRESS_METRICS, plot_stress_test, stress_test
from fairpool.datasets import read_table, sniff_delimiter

__all__ = [
    "AEQUITAS_COLUMNS",
    "BIAS_SOURCES",
    "FORMATS",
    "FOUR_FIFTHS",
    "MISSING_POLICIES",
    "MITIGATION_METHODS",
    "AuditResult",
    "GroupExplanation",
    "Labels",
    "MitigationReport",
    "MonitorResult",
    "PERIODS",
    "aequitas_crosstab",
    "aif360_metric",
    "STRESS_METRICS",
    "audit_file",
    "audit_frame",
    "check_format",
    "disparity_change_test",
    "encode_predictions",
    "explain_by_group",
    "encode_target",
    "from_aequitas_crosstab",
    "from_aif360",
    "from_metric_frame",
    "mitigation_report",
    "mitigation_split",
    "monitor",
    "monitor_file",
    "print_monitor",
    "plot_stress_test",
    "print_audit",
    "print_mitigation",
    "read_table",
    "read_tfma_json",
    "render_frame",
    "sniff_delimiter",
    "to_aequitas_frame",
    "to_aif360",
    "to_metric_frame",
    "to_tfma_json",
    "stress_test",
]
