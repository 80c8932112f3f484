"""Causal graphs of the bundled datasets, and which features are admissible.

A :class:`CausalGraph` is a DAG over a dataset's *variables*: the raw columns
before one-hot encoding (``"relationship"`` stands for every feature column named
``"relationship=<value>"``), the sensitive attribute (the node :data:`SENSITIVE`,
the group of each row) and the label (:data:`LABEL`). The graph says which
features are descendants of the sensitive attribute, and ``admissible`` names the
descendants that are *allowed* to carry its influence (Kilbertus et al. 2017 call
them resolving variables): a counterfactual holds them fixed, while it regenerates
every other descendant (see :mod:`fairpool.causal._counterfactual`).

The declared graphs, and why, are in docs/causal.md:

* ``genomes1000``: ancestry -> every SNP; the SNPs given as prior GWAS hits
  (``info["causal_features"]``, optionally only a fraction of them) are
  admissible; causal SNPs -> phenotype; ancestry -> recorded label (the bias).
* ``adult``: sex -> marital status, relationship, occupation, hours per week;
  race -> education, occupation, marital status; education is admissible.
* ``compas``: race and sex -> juvenile counts, prior counts, charge degree; the
  charge degree of the current arrest is admissible.
* any other dataset: the sensitive attribute -> every feature, nothing admissible
  (the most cautious reading: every feature may carry the attribute).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from fairpool.errors import InvalidInputError, UnknownColumnError

__all__ = [
    "SENSITIVE",
    "LABEL",
    "CausalGraph",
    "BoundGraph",
    "variable_of",
    "dataset_graph",
    "genomes_graph",
    "adult_graph",
    "compas_graph",
    "default_graph",
]

#: Name of the sensitive-attribute node (the row's group) in every graph.
SENSITIVE = "<sensitive>"
#: Name of the label node in every graph.
LABEL = "<label>"


def variable_of(column: str) -> str:
    """The raw variable a feature column encodes: ``"sex=Male"`` -> ``"sex"``.

    Parameters
    ----------
    column : str
        A feature name as fairpool's encoding writes it (``"<column>=<value>"`` for
        one-hot columns, the raw name for numeric ones).

    Returns
    -------
    str
    """
    return column.split("=", 1)[0] if "=" in column else column


@dataclass(frozen=True)
class CausalGraph:
    """A DAG over a dataset's variables, the sensitive attribute and the label.

    Parameters
    ----------
    edges : sequence of (parent, child)
        Directed edges between variable names, :data:`SENSITIVE` and :data:`LABEL`.
    admissible : iterable of str
        Descendants of the sensitive attribute that may carry its influence; a
        counterfactual holds them at their factual values.
    description : str
        One line saying where the graph comes from.

    Raises
    ------
    InvalidInputError
        If the edges contain a cycle, an edge out of the label, or an edge into the
        sensitive attribute.
    """

    edges: tuple[tuple[str, str], ...]
    admissible: frozenset[str] = field(default_factory=frozenset)
    description: str = ""

    def __post_init__(self) -> None:
        edges = tuple((str(a), str(b)) for a, b in self.edges)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "admissible", frozenset(str(a) for a in self.admissible))
        for parent, child in edges:
            if parent == LABEL:
                raise InvalidInputError(f"graph edge {parent!r} -> {child!r} leaves the label")
            if child == SENSITIVE:
                raise InvalidInputError(
                    f"graph edge {parent!r} -> {child!r} enters the sensitive attribute; "
                    "it must be a root"
                )
        digraph = self.to_networkx()
        if not nx.is_directed_acyclic_graph(digraph):
            cycle = nx.find_cycle(digraph)
            raise InvalidInputError(f"the causal graph has a cycle: {cycle}")
        if SENSITIVE in self.admissible:
            raise InvalidInputError("admissible cannot contain the sensitive attribute itself")

    def to_networkx(self) -> nx.DiGraph:
        """The graph as a ``networkx.DiGraph`` (the type DoWhy's ``gcm`` takes)."""
        digraph = nx.DiGraph()
        digraph.add_node(SENSITIVE)
        digraph.add_edges_from(self.edges)
        return digraph

    def descendants(self) -> set[str]:
        """Variables downstream of the sensitive attribute (label excluded)."""
        return nx.descendants(self.to_networkx(), SENSITIVE) - {LABEL}

    def bind(
        self, feature_names: Sequence[str], sensitive_columns: Sequence[str]
    ) -> BoundGraph:
        """Map the graph onto a dataset's feature columns.

        Parameters
        ----------
        feature_names : sequence of str
            The columns of ``X``.
        sensitive_columns : sequence of str
            The columns that encode the sensitive attribute (the group) as features;
            they belong to :data:`SENSITIVE`. May be empty.

        Returns
        -------
        BoundGraph

        Raises
        ------
        UnknownColumnError
            If a sensitive column is not a feature.
        """
        names = list(feature_names)
        position = {name: i for i, name in enumerate(names)}
        for column in sensitive_columns:
            if column not in position:
                raise UnknownColumnError(
                    f"sensitive column {column!r} is not among the feature columns"
                )
        sensitive_set = set(sensitive_columns)
        columns: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            if name in sensitive_set:
                continue
            columns.setdefault(variable_of(name), []).append(i)

        digraph = self.to_networkx()
        known = set(columns) | {SENSITIVE, LABEL}
        missing = tuple(sorted(n for n in digraph.nodes if n not in known))
        digraph.remove_nodes_from(missing)
        if LABEL in digraph:
            digraph.remove_node(LABEL)
        descendants = nx.descendants(digraph, SENSITIVE)
        regenerate = [
            v for v in nx.topological_sort(digraph) if v in descendants and v not in self.admissible
        ]
        parents = {v: tuple(sorted(digraph.predecessors(v))) for v in regenerate}
        return BoundGraph(
            graph=self,
            columns={v: np.asarray(c, dtype=np.int64) for v, c in columns.items()},
            sensitive_columns=np.asarray(
                [position[c] for c in sensitive_columns], dtype=np.int64
            ),
            regenerate=tuple(regenerate),
            parents=parents,
            missing=missing,
        )


@dataclass(frozen=True, eq=False)
class BoundGraph:
    """A :class:`CausalGraph` mapped onto the columns of one feature matrix.

    Attributes
    ----------
    graph : CausalGraph
    columns : dict of str to ndarray of int
        Feature-column positions of each variable.
    sensitive_columns : ndarray of int
        Feature-column positions that encode the group.
    regenerate : tuple of str
        Non-admissible descendants of the sensitive attribute present in the data,
        in topological order: the variables a counterfactual recomputes.
    parents : dict of str to tuple of str
        Parents of each variable in ``regenerate`` (possibly :data:`SENSITIVE`).
    missing : tuple of str
        Graph variables with no feature column (dropped, with their edges).
    """

    graph: CausalGraph
    columns: dict[str, np.ndarray]
    sensitive_columns: np.ndarray
    regenerate: tuple[str, ...]
    parents: dict[str, tuple[str, ...]]
    missing: tuple[str, ...]

    def fixed_columns(self, n_features: int) -> np.ndarray:
        """Positions of the columns a counterfactual never changes."""
        changed = np.zeros(n_features, dtype=bool)
        changed[self.sensitive_columns] = True
        for variable in self.regenerate:
            changed[self.columns[variable]] = True
        return np.flatnonzero(~changed)


# -- the declared graphs ----------------------------------------------------------
def _collapse(
    edges: Iterable[tuple[str, str]], sensitive: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """Replace the raw sensitive attributes by :data:`SENSITIVE`, dropping self-loops."""
    rename = {s: SENSITIVE for s in sensitive}
    out = []
    for parent, child in edges:
        a, b = rename.get(parent, parent), rename.get(child, child)
        if a != b and (a, b) not in out:
            out.append((a, b))
    return tuple(out)


def _check_fraction(known_causal_fraction: float) -> float:
    fraction = float(known_causal_fraction)
    if not 0.0 <= fraction <= 1.0:
        raise InvalidInputError(
            f"known_causal_fraction must be in [0, 1], got {known_causal_fraction!r}"
        )
    return fraction


def genomes_graph(
    feature_names: Sequence[str],
    causal_features: Sequence[str],
    *,
    sensitive_columns: Sequence[str] = (),
    known_causal_fraction: float = 1.0,
    seed: int = 0,
) -> CausalGraph:
    """The 1000 Genomes graph: ancestry causes every SNP; prior GWAS hits are admissible.

    Every SNP's allele frequencies differ by ancestry (the panels are
    ancestry-informative by design), so each SNP is a child of the ancestry node.
    The simulated phenotype depends on the causal SNPs only; the recorded label
    also depends on ancestry (the labelling bias). The causal SNPs known from
    prior GWAS are admissible: a model may use them whatever their frequency in
    each ancestry.

    Parameters
    ----------
    feature_names : sequence of str
        All feature columns (SNP dosages, plus the one-hot ancestry columns).
    causal_features : sequence of str
        The truly causal SNPs (``info["causal_features"]``).
    sensitive_columns : sequence of str
        Feature columns that encode ancestry itself (not SNPs).
    known_causal_fraction : float in [0, 1], default 1.0
        Share of the causal SNPs declared admissible (chosen at random by ``seed``):
        below 1 the analyst knows only some GWAS hits, and the others are treated
        as ancestry proxies; used to test robustness to an incomplete prior.
    seed : int
        Seed of the choice of known causal SNPs.

    Returns
    -------
    CausalGraph
    """
    fraction = _check_fraction(known_causal_fraction)
    skip = set(sensitive_columns)
    snps = [n for n in dict.fromkeys(variable_of(c) for c in feature_names if c not in skip)]
    causal = list(causal_features)
    unknown = sorted(set(causal) - set(snps))
    if unknown:
        raise UnknownColumnError(f"causal feature(s) {unknown} are not feature columns")
    n_known = int(round(fraction * len(causal)))
    order = np.random.default_rng(seed).permutation(len(causal))
    known = [causal[i] for i in sorted(order[:n_known])]
    edges = [(SENSITIVE, s) for s in snps]
    edges += [(s, LABEL) for s in causal] + [(SENSITIVE, LABEL)]
    return CausalGraph(
        edges=tuple(edges),
        admissible=frozenset(known),
        description=(
            f"1000 Genomes: ancestry -> {len(snps)} SNPs; {len(known)} of {len(causal)} "
            "causal SNPs admissible (prior GWAS hits)"
        ),
    )


_ADULT_EDGES = (
    ("sex", "marital_status"),
    ("sex", "relationship"),
    ("sex", "occupation"),
    ("sex", "hours_per_week"),
    ("race", "education"),
    ("race", "occupation"),
    ("race", "marital_status"),
    ("marital_status", "relationship"),
    ("education", "education_num"),
    ("education", "occupation"),
    ("occupation", "hours_per_week"),
    ("education_num", LABEL),
    ("occupation", LABEL),
    ("hours_per_week", LABEL),
    ("marital_status", LABEL),
    ("relationship", LABEL),
    ("age", LABEL),
    ("capital_gain", LABEL),
    ("sex", LABEL),
)


def adult_graph(sensitive: Sequence[str] = ("sex",)) -> CausalGraph:
    """The Adult graph (a common reading of the census variables, see docs/causal.md).

    Sex affects marital status, relationship (husband/wife), occupation and hours
    worked; race affects education, occupation and marital status; education is
    admissible (a legitimate reason for different incomes), as is ``education_num``,
    which re-encodes it.

    Parameters
    ----------
    sensitive : sequence of {"sex", "race", "age"}
        The attributes whose combination forms the groups (``info["sensitive"]``).

    Returns
    -------
    CausalGraph
    """
    return CausalGraph(
        edges=_collapse(_ADULT_EDGES, list(sensitive)),
        admissible=frozenset({"education", "education_num"}),
        description=f"Adult: sensitive = {'|'.join(sensitive)}; education admissible",
    )


_COMPAS_EDGES = (
    ("race", "juv_fel_count"),
    ("race", "juv_misd_count"),
    ("race", "juv_other_count"),
    ("race", "priors_count"),
    ("race", "c_charge_degree"),
    ("sex", "juv_fel_count"),
    ("sex", "juv_misd_count"),
    ("sex", "juv_other_count"),
    ("sex", "priors_count"),
    ("sex", "c_charge_degree"),
    ("juv_fel_count", "priors_count"),
    ("juv_misd_count", "priors_count"),
    ("juv_other_count", "priors_count"),
    ("age", "priors_count"),
    ("c_charge_degree", "length_of_stay"),
    ("priors_count", "length_of_stay"),
    ("priors_count", LABEL),
    ("age", LABEL),
    ("juv_fel_count", LABEL),
    ("c_charge_degree", LABEL),
)


def compas_graph(sensitive: Sequence[str] = ("race",)) -> CausalGraph:
    """The COMPAS graph: policing differs by race and sex, so recorded criminal history does.

    Race and sex affect the juvenile counts, the prior counts and the charge
    degree (who is arrested and how they are charged); juvenile counts and age
    feed the prior counts; charge degree and priors feed the length of stay. The
    charge degree of the current arrest is admissible.

    Parameters
    ----------
    sensitive : sequence of {"race", "sex"}
        The attributes whose combination forms the groups.

    Returns
    -------
    CausalGraph
    """
    return CausalGraph(
        edges=_collapse(_COMPAS_EDGES, list(sensitive)),
        admissible=frozenset({"c_charge_degree"}),
        description=f"COMPAS: sensitive = {'|'.join(sensitive)}; charge degree admissible",
    )


def default_graph(
    feature_names: Sequence[str], sensitive_columns: Sequence[str] = ()
) -> CausalGraph:
    """The sensitive attribute causes every feature; nothing is admissible.

    Used for datasets that declare no graph (a user's own table): the most
    cautious assumption, under which a counterfactual regenerates every feature.

    Parameters
    ----------
    feature_names : sequence of str
    sensitive_columns : sequence of str
        Columns encoding the group; not variables of their own.

    Returns
    -------
    CausalGraph
    """
    skip = set(sensitive_columns)
    variables = dict.fromkeys(variable_of(c) for c in feature_names if c not in skip)
    return CausalGraph(
        edges=tuple((SENSITIVE, v) for v in variables),
        description="default: the sensitive attribute -> every feature, nothing admissible",
    )


def dataset_graph(
    name: str | None,
    *,
    feature_names: Sequence[str],
    info: Mapping[str, Any],
    known_causal_fraction: float = 1.0,
    seed: int = 0,
) -> CausalGraph:
    """The causal graph declared for a dataset (or the cautious default).

    Parameters
    ----------
    name : str or None
        Dataset name (``Dataset.name``); ``None`` or an unknown name gives
        :func:`default_graph`.
    feature_names : sequence of str
    info : mapping
        The dataset's ``info``: ``"sensitive"`` (raw attributes forming the groups),
        ``"sensitive_columns"`` and, for genomes1000, ``"causal_features"``.
    known_causal_fraction : float in [0, 1], default 1.0
        genomes1000 only: share of causal SNPs declared admissible.
    seed : int
        genomes1000 only: seed of that choice.

    Returns
    -------
    CausalGraph
    """
    _check_fraction(known_causal_fraction)
    sensitive = list(info.get("sensitive", ()))
    sensitive_columns = list(info.get("sensitive_columns", ()))
    if name == "genomes1000":
        causal = info.get("causal_features")
        if causal is None:
            raise InvalidInputError(
                "genomes1000 info has no 'causal_features'; the graph needs the causal SNPs"
            )
        return genomes_graph(
            feature_names,
            list(causal),
            sensitive_columns=sensitive_columns,
            known_causal_fraction=known_causal_fraction,
            seed=seed,
        )
    if name == "adult":
        return adult_graph(sensitive or ["sex"])
    if name == "compas":
        return compas_graph(sensitive or ["race"])
    return default_graph(feature_names, sensitive_columns)
