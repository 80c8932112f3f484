"""Causal graphs: structure checks, binding to feature columns, the declared graphs."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.causal import (
    LABEL,
    SENSITIVE,
    CausalGraph,
    adult_graph,
    compas_graph,
    dataset_graph,
    default_graph,
    genomes_graph,
    variable_of,
)
from fairpool.errors import InvalidInputError, UnknownColumnError


def test_variable_of_strips_the_one_hot_value():
    assert variable_of("relationship=Husband") == "relationship"
    assert variable_of("rs123") == "rs123"
    assert variable_of("a=b=c") == "a"


def test_bind_regenerates_non_admissible_descendants_in_topological_order():
    graph = CausalGraph(
        edges=((SENSITIVE, "m"), ("m", "z"), (SENSITIVE, "adm"), ("adm", "w"), ("u", "z"),
               ("z", LABEL)),
        admissible={"adm"},
    )
    names = ["s=0", "s=1", "u", "m=a", "m=b", "z", "adm", "w"]
    bound = graph.bind(names, ["s=0", "s=1"])
    # u is not a descendant; adm is admissible; w is downstream of adm only but is
    # still a descendant of the sensitive attribute (regenerated from the fixed adm).
    assert set(bound.regenerate) == {"m", "z", "w"}
    assert bound.regenerate.index("m") < bound.regenerate.index("z")
    assert bound.parents["z"] == ("m", "u")
    np.testing.assert_array_equal(bound.columns["m"], [3, 4])
    np.testing.assert_array_equal(bound.sensitive_columns, [0, 1])
    np.testing.assert_array_equal(bound.fixed_columns(len(names)), [2, 6])


def test_graph_variables_without_columns_are_reported_missing():
    graph = CausalGraph(edges=((SENSITIVE, "a"), (SENSITIVE, "gone")))
    bound = graph.bind(["a"], [])
    assert bound.missing == ("gone",)
    assert bound.regenerate == ("a",)


@pytest.mark.parametrize(
    "edges",
    [
        (("a", "b"), ("b", "a")),  # cycle
        ((LABEL, "a"),),  # leaves the label
        (("a", SENSITIVE),),  # enters the sensitive attribute
    ],
)
def test_malformed_graphs_are_rejected(edges):
    with pytest.raises(InvalidInputError):
        CausalGraph(edges=edges)


def test_unknown_sensitive_column_raises():
    with pytest.raises(UnknownColumnError, match="not_there"):
        default_graph(["a"]).bind(["a"], ["not_there"])


def test_genomes_graph_admits_a_seeded_fraction_of_the_causal_snps():
    names = [f"rs{j}" for j in range(20)] + ["superpopulation=AFR", "superpopulation=EUR"]
    causal = [f"rs{j}" for j in range(10)]
    full = genomes_graph(names, causal, sensitive_columns=names[-2:])
    assert full.admissible == frozenset(causal)
    half = genomes_graph(names, causal, sensitive_columns=names[-2:], known_causal_fraction=0.5,
                         seed=3)
    again = genomes_graph(names, causal, sensitive_columns=names[-2:], known_causal_fraction=0.5,
                          seed=3)
    assert len(half.admissible) == 5 and half.admissible <= set(causal)
    assert half.admissible == again.admissible
    assert full.descendants() == {f"rs{j}" for j in range(20)}
    with pytest.raises(InvalidInputError, match="known_causal_fraction"):
        genomes_graph(names, causal, known_causal_fraction=1.5)
    with pytest.raises(UnknownColumnError):
        genomes_graph(names, ["rs999"])


@pytest.mark.parametrize("name", ["adult", "compas"])
def test_declared_graphs_bind_to_the_real_columns_without_gaps(name):
    ds = fp.datasets.load(name)
    graph = dataset_graph(name, feature_names=ds.feature_names, info=ds.info)
    bound = graph.bind(ds.feature_names, ds.info["sensitive_columns"])
    assert bound.missing == ()
    assert bound.regenerate  # something depends on the sensitive attribute
    assert not set(bound.regenerate) & graph.admissible


def test_adult_graph_collapses_the_chosen_sensitive_attributes():
    by_sex = adult_graph(["sex"])
    assert (SENSITIVE, "relationship") in by_sex.edges and ("race", "education") in by_sex.edges
    both = adult_graph(["sex", "race"])
    assert (SENSITIVE, "education") in both.edges
    assert all(SENSITIVE != b for _, b in both.edges)
    assert compas_graph(["race"]).admissible == frozenset({"c_charge_degree"})


def test_unknown_dataset_falls_back_to_the_cautious_default():
    graph = dataset_graph(None, feature_names=["a", "b=x", "b=y", "s"],
                          info={"sensitive_columns": ["s"]})
    assert graph.descendants() == {"a", "b"} and not graph.admissible
