"""Causal graphs, counterfactuals with the sensitive attribute swapped, causal validity.

* :mod:`~fairpool.causal._graph` -- each dataset's causal graph and admissible features;
* :mod:`~fairpool.causal._counterfactual` -- :class:`CounterfactualModel`, fitted
  mechanisms (DoWhy ``gcm`` additive-noise models; a quantile coupling for
  discrete variables) that move rows to another group;
* :mod:`~fairpool.causal._proxies` -- which features are proxies of the sensitive
  attribute (the graph's non-admissible descendants, or a correlation-ratio screen);
* :mod:`~fairpool.causal._validity` -- counterfactual fairness gap, share of
  importance on true causal features, accuracy against true labels per group.

See docs/causal.md.
"""

from fairpool.causal._counterfactual import CounterfactualModel, fit_counterfactual_model
from fairpool.causal._graph import (
    LABEL,
    SENSITIVE,
    BoundGraph,
    CausalGraph,
    adult_graph,
    compas_graph,
    dataset_graph,
    default_graph,
    genomes_graph,
    variable_of,
)
from fairpool.causal._proxies import (
    GRAPH_DATASETS,
    association_proxies,
    correlation_ratio,
    graph_proxies,
    proxy_features,
)
from fairpool.causal._validity import (
    accuracy_by_group,
    causal_importance_share,
    counterfactual_fairness_gap,
    counterfactual_inconsistency,
    validity_metrics,
)

__all__ = [
    "GRAPH_DATASETS",
    "LABEL",
    "SENSITIVE",
    "BoundGraph",
    "CausalGraph",
    "CounterfactualModel",
    "accuracy_by_group",
    "adult_graph",
    "association_proxies",
    "causal_importance_share",
    "compas_graph",
    "correlation_ratio",
    "counterfactual_fairness_gap",
    "counterfactual_inconsistency",
    "dataset_graph",
    "default_graph",
    "fit_counterfactual_model",
    "genomes_graph",
    "graph_proxies",
    "proxy_features",
    "validity_metrics",
    "variable_of",
]
