"""Named, stratified splits of a :class:`Dataset` for the active-learning experiments.

Conventions the active-learning loop relies on: ``"pool"`` holds the unlabelled
candidates, ``"test"`` the held-out evaluation rows, the optional ``"initial"`` the
labelled seed set D0 and the optional ``"validation"`` a labelled reference set.
The parts in :attr:`DatasetSplit.indices` are pairwise disjoint; a scheme may also
name unions of parts (FACA-GEN's ``"train" = initial + pool``, PANDA's
``"meta_train" = initial + validation``), listed in :attr:`DatasetSplit.unions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._options import bind_options, check_count, check_fraction
from fairpool.datasets._stratify import stratified_partition
from fairpool.errors import InvalidInputError, UnknownNameError

__all__ = ["FALCON_COMPAS_SIZES", "SCHEMES", "DatasetSplit", "split", "stratification_codes"]

SplitScheme = Literal["panda", "facagen", "falcon", "random", "cluster_holdout"]

#: Falcon's COMPAS benchmark sizes (Tae et al., VLDB 2024, Table 2).
FALCON_COMPAS_SIZES = {"initial": 294, "pool": 2356, "test": 1178, "validation": 294}


@dataclass(frozen=True, eq=False)
class DatasetSplit:
    """Disjoint named parts of a dataset (plus named unions of parts).

    Parameters
    ----------
    dataset : Dataset
        The parent dataset.
    indices : mapping of str to ndarray
        Row positions (into ``dataset``) of each part; parts are pairwise disjoint.
    unions : mapping of str to tuple of str, optional
        Names for unions of parts (``{"train": ("initial", "pool")}``).
    scheme : str
        The scheme that made the split.
    seed : int
        The seed it used.
    options : mapping
        The scheme's options, defaults filled in.
    """

    dataset: Dataset
    indices: Mapping[str, np.ndarray]
    unions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scheme: str = "custom"
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.dataset.n_samples
        parts: dict[str, np.ndarray] = {}
        seen = np.zeros(n, dtype=bool)
        for name, idx in self.indices.items():
            arr = np.array(idx, dtype=np.int64).reshape(-1)
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                raise InvalidInputError(f"split part {name!r} has positions outside [0, {n})")
            if np.unique(arr).size != arr.size or seen[arr].any():
                raise InvalidInputError(
                    f"split part {name!r} repeats rows or overlaps another part"
                )
            seen[arr] = True
            arr.flags.writeable = False
            parts[name] = arr
        unions = {}
        for name, members in self.unions.items():
            members = tuple(members)
            if name in parts:
                raise InvalidInputError(f"split union {name!r} has the name of a part")
            missing = [m for m in members if m not in parts]
            if missing:
                raise InvalidInputError(f"split union {name!r} names unknown parts {missing}")
            unions[name] = members
        object.__setattr__(self, "indices", parts)
        object.__setattr__(self, "unions", unions)
        object.__setattr__(self, "options", dict(self.options))

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the parts, then of the unions."""
        return tuple(self.indices) + tuple(self.unions)

    @property
    def sizes(self) -> dict[str, int]:
        """Number of rows of every part and union."""
        return {name: int(self.positions(name).size) for name in self.names}

    def positions(self, name: str) -> np.ndarray:
        """Sorted row positions (into :attr:`dataset`) of a part or union."""
        if name in self.indices:
            return self.indices[name]
        if name in self.unions:
            return np.sort(np.concatenate([self.indices[m] for m in self.unions[name]]))
        raise UnknownNameError(f"split has no part {name!r}; its parts are {list(self.names)}")

    def __getitem__(self, name: str) -> Dataset:
        """The rows of part (or union) ``name`` as a Dataset."""
        return self.dataset.subset(self.positions(name))

    def __contains__(self, name: object) -> bool:
        return name in self.indices or name in self.unions

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f"DatasetSplit(dataset={self.dataset.name!r}, scheme={self.scheme!r}, {sizes})"


def stratification_codes(ds: Dataset) -> np.ndarray:
    """Stratum of each row: group x label for class labels, the group for float targets."""
    y = np.asarray(ds.y)
    if y.dtype.kind in "biu":
        _, labels = np.unique(y, return_inverse=True)
        labels = labels.reshape(-1)
        return ds.groups * (int(labels.max()) + 1 if labels.size else 1) + labels
    return ds.groups.copy()


# -- schemes: each returns (part sizes in order, unions) ----------------------------
def _nonempty(n: int, sizes: dict[str, int], required: tuple[str, ...], why: str) -> None:
    for part in required:
        if sizes[part] < 1:
            raise InvalidInputError(
                f"{why} leaves the {part!r} part empty for a dataset of {n} rows"
            )


def _panda(
    n: int, n_strata: int, *, initial_size: int = 100, meta_fraction: float = 0.5,
    test_fraction: float = 0.5,
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    meta_fraction = check_fraction("meta_fraction", meta_fraction, allow_zero=False)
    test_fraction = check_fraction("test_fraction", test_fraction, allow_zero=False)
    n_meta = round(n * meta_fraction)
    n_test = round((n - n_meta) * test_fraction)
    initial_size = check_count("initial_size", initial_size, minimum=0, maximum=n_meta)
    sizes = {
        "initial": initial_size,
        "validation": n_meta - initial_size,
        "pool": n - n_meta - n_test,
        "test": n_test,
    }
    _nonempty(n, sizes, ("pool", "test"), f"meta_fraction={meta_fraction}, "
              f"test_fraction={test_fraction}")
    return sizes, {"meta_train": ("initial", "validation")}


def _facagen(
    n: int, n_strata: int, *, test_fraction: float = 0.2, seed_size: int = 50
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    test_fraction = check_fraction("test_fraction", test_fraction, allow_zero=False)
    n_test = round(n * test_fraction)
    seed_size = check_count("seed_size", seed_size, minimum=0, maximum=max(n - n_test - 1, 0))
    sizes = {"initial": seed_size, "pool": n - n_test - seed_size, "test": n_test}
    _nonempty(n, sizes, ("pool", "test"), f"test_fraction={test_fraction}")
    return sizes, {"train": ("initial", "pool")}


def _falcon(
    n: int, n_strata: int, *, total: int | Literal["all"] | None = None
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    paper_total = sum(FALCON_COMPAS_SIZES.values())
    if total is None:
        total = min(paper_total, n)
    elif total == "all":
        total = n
    else:
        total = check_count("total", total, minimum=1, maximum=n)
    if total == paper_total:
        return dict(FALCON_COMPAS_SIZES), {}
    # Same proportions as the paper (1 : 8 : 4 : 1), largest remainders to hit `total`.
    shares = np.array(list(FALCON_COMPAS_SIZES.values()), dtype=np.float64) * total / paper_total
    counts = np.floor(shares).astype(np.int64)
    extra = total - int(counts.sum())
    counts[np.argsort(-(shares - counts), kind="stable")[:extra]] += 1
    sizes = dict(zip(FALCON_COMPAS_SIZES, counts.tolist(), strict=True))
    smallest = min(sizes.values())
    if smallest < n_strata:
        need = int(np.ceil(n_strata * paper_total / min(FALCON_COMPAS_SIZES.values())))
        raise InvalidInputError(
            f"the falcon scheme needs at least {need} rows for {n_strata} group x label "
            f"strata (so that its smallest part, {smallest} rows, can hold one of each); "
            f"the dataset has {total} rows to split"
        )
    return sizes, {}


def _random(
    n: int, n_strata: int, *, test_fraction: float = 0.2, validation_fraction: float = 0.0,
    pool_fraction: float | None = None, initial_size: int = 0,
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    test_fraction = check_fraction("test_fraction", test_fraction, allow_zero=False)
    validation_fraction = check_fraction("validation_fraction", validation_fraction)
    fractions = test_fraction + validation_fraction
    if pool_fraction is not None:
        pool_fraction = check_fraction("pool_fraction", pool_fraction, allow_zero=False)
        fractions += pool_fraction
    if fractions > 1.0 + 1e-12:
        raise InvalidInputError(
            f"test_fraction + validation_fraction + pool_fraction must be <= 1, got "
            f"{test_fraction} + {validation_fraction} + {pool_fraction} = {fractions:g}"
        )
    n_test = round(n * test_fraction)
    n_val = round(n * validation_fraction)
    rest = n - n_test - n_val
    initial_size = check_count("initial_size", initial_size, minimum=0, maximum=max(rest - 1, 0))
    n_pool = rest - initial_size if pool_fraction is None else round(n * pool_fraction)
    if initial_size + n_pool > rest:
        raise InvalidInputError(
            f"initial_size={initial_size} does not fit: the pool ({n_pool} rows), test "
            f"({n_test}) and validation ({n_val}) parts leave {rest - n_pool} of {n} rows"
        )
    sizes = {"pool": n_pool, "test": n_test}
    _nonempty(n, sizes, ("pool", "test"), "these fractions")
    if validation_fraction > 0:
        sizes["validation"] = n_val
    if initial_size > 0:
        sizes["initial"] = initial_size
    return sizes, {}


def _cluster_holdout(
    n: int, n_strata: int, *, unseen_fraction: float = 0.2, test_fraction: float = 0.2,
    validation_fraction: float = 0.0, pool_fraction: float | None = None,
    initial_size: int = 0,
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """The sizes of ``"cluster_holdout"``: :func:`_random`'s, on the seen clusters' rows.

    The unseen clusters are drawn in :func:`split`, which needs the dataset's clusters.
    """
    check_fraction("unseen_fraction", unseen_fraction, allow_zero=False)
    return _random(n, n_strata, test_fraction=test_fraction,
                   validation_fraction=validation_fraction, pool_fraction=pool_fraction,
                   initial_size=initial_size)


def _unseen_clusters(ds: Dataset, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Mask of the rows whose cluster is among ``round(fraction * k)`` drawn clusters."""
    if ds.clusters is None:
        raise InvalidInputError(
            f"split scheme 'cluster_holdout' needs clusters, but dataset {ds.name!r} has "
            "none (load it with clusters=..., or from_frame(..., clusters=column))"
        )
    present = np.unique(ds.clusters)
    n_unseen = round(fraction * present.size)
    if not 1 <= n_unseen < present.size:
        raise InvalidInputError(
            f"unseen_fraction={fraction} holds out {n_unseen} of the {present.size} "
            "clusters; it must hold out at least one and keep at least one"
        )
    unseen = rng.choice(present, size=n_unseen, replace=False)
    return np.isin(ds.clusters, unseen)


SCHEMES: dict[str, Callable[..., tuple[dict[str, int], dict[str, tuple[str, ...]]]]] = {
    "panda": _panda,
    "facagen": _facagen,
    "falcon": _falcon,
    "random": _random,
    "cluster_holdout": _cluster_holdout,
}


def split(ds: Dataset, scheme: SplitScheme, *, seed: int = 0, **options: Any) -> DatasetSplit:
    """Split a dataset into the named parts of an experiment, stratified by group x label.

    Parameters
    ----------
    ds : Dataset
        The dataset to split.
    scheme : {"panda", "facagen", "falcon", "random", "cluster_holdout"}
        ``"panda"``: half meta-train, half meta-test; meta-test halved into
        ``"pool"`` and ``"test"``; meta-train into ``"initial"`` (``initial_size``
        rows, default 100, the labelled seed D0) and ``"validation"`` (the rest);
        union ``"meta_train"`` = initial + validation. Options ``initial_size``,
        ``meta_fraction`` (0.5), ``test_fraction`` (0.5, of meta-test).
        ``"facagen"``: 80/20 train/test, ``"initial"`` = ``seed_size`` rows
        (default 50) of train, ``"pool"`` = the rest of train; union ``"train"``.
        Options ``test_fraction`` (0.2), ``seed_size``.
        ``"falcon"``: Falcon's COMPAS sizes 294 initial / 2,356 pool / 1,178 test /
        294 validation, drawn from a dataset of at least 4,122 rows; a smaller
        dataset is split whole in the same proportions. Option ``total``: rows to
        use (an int, or ``"all"`` for every row in the same proportions).
        ``"random"``: options ``test_fraction`` (0.2), ``validation_fraction`` (0),
        ``pool_fraction`` (default: the rest) and ``initial_size`` (0).
        ``"cluster_holdout"`` (a dataset with clusters): ``"unseen"`` holds every row of
        ``round(unseen_fraction * k)`` clusters drawn at random (``unseen_fraction``
        0.2 of the ``k`` clusters present), for measuring a mixed-effects model on
        clusters it never saw; the other clusters' rows are split as ``"random"``
        splits (same options), so ``"test"`` holds rows of seen clusters.
    seed : int, default 0
        Seed of the random assignment.
    **options
        The scheme's options (see above).

    Returns
    -------
    DatasetSplit
        Disjoint parts; every part holds each group x label stratum in
        proportion (each count is the floor or ceiling of its share).

    Raises
    ------
    UnknownNameError
        Unknown scheme (the message lists the schemes).
    InvalidInputError
        Unknown option, fractions summing to more than 1, an ``initial_size``
        larger than the rows available, or a dataset too small for the scheme;
        ``"cluster_holdout"`` on a dataset without clusters, or an
        ``unseen_fraction`` that holds out no cluster or all of them.
    """
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise UnknownNameError(f"unknown split scheme {scheme!r}; schemes are {sorted(SCHEMES)}")
    seed = check_count("seed", seed, minimum=0)
    function = SCHEMES[scheme]
    bound = bind_options(function, options, what=f"split scheme {scheme!r}")
    rng = np.random.default_rng(seed)
    rows = np.arange(ds.n_samples)
    held: dict[str, np.ndarray] = {}
    if scheme == "cluster_holdout":
        check_fraction("unseen_fraction", bound["unseen_fraction"], allow_zero=False)
        unseen = _unseen_clusters(ds, bound["unseen_fraction"], rng)
        held["unseen"] = np.flatnonzero(unseen)
        rows = np.flatnonzero(~unseen)
    strata = stratification_codes(ds)[rows]
    n_strata = int(np.unique(strata).size)
    sizes, unions = function(rows.size, n_strata, **bound)
    parts = [rows[p] for p in stratified_partition(strata, list(sizes.values()), rng)]
    return DatasetSplit(
        dataset=ds,
        indices={**dict(zip(sizes, parts, strict=True)), **held},
        unions=unions,
        scheme=scheme,
        seed=seed,
        options=bound,
    )
