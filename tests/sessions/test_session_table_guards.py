"""A session refuses tables that would silently give it a different model than the user means.

Found by trying sessions as a newcomer: an id column left out of ``--id`` became hundreds
of one-hot features, and one text value in a numeric pool column turned the column into
categories. Both are refused at ``init`` with the fix named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpool.errors import InvalidInputError
from fairpool.sessions import Session


def _tables(n: int = 200):
    rng = np.random.default_rng(0)
    people = pd.DataFrame({"person": [f"A{i:04d}" for i in range(n)],
                           "age": rng.integers(18, 70, n), "region": rng.choice(["n", "s"], n),
                           "gender": rng.choice(["f", "m"], n),
                           "outcome": rng.choice(["approved", "denied"], n)})
    return people.iloc[:80], people.iloc[80:].drop(columns="outcome")


def _create(directory, labelled, pool, **options):
    return Session.create(directory, labelled=labelled, pool=pool, target="outcome",
                          positive="approved", sensitive="gender", **options)


def test_an_id_column_not_named_as_id_is_refused_with_the_fix(tmp_path):
    labelled, pool = _tables()
    with pytest.raises(InvalidInputError, match=r"'person' has a different value in each of "
                       r"its 200 rows: it looks like an identifier.*--id COLUMN or --drop"):
        _create(tmp_path / "s", labelled, pool)
    with _create(tmp_path / "t", labelled, pool, id="person") as session:
        assert session.config["feature_names"] == ["age", "region=n", "region=s"]


def test_text_in_a_numeric_pool_column_is_refused_naming_the_pool(tmp_path):
    labelled, pool = _tables()
    pool = pool.assign(age=pool["age"].astype(object))
    pool.loc[pool.index[5], "age"] = "unknown"
    with pytest.raises(InvalidInputError, match=r"'age' is numeric in the labelled table but "
                       r"the pool holds values that are not numbers \(e\.g\. \['unknown'\]\)"):
        _create(tmp_path / "s", labelled, pool, id="person")
    assert not (tmp_path / "s" / "session.sqlite").exists()  # nothing half-made


def test_missing_feature_values_name_the_table_and_a_fix_a_session_can_use(tmp_path):
    from fairpool.errors import MissingValueError

    labelled, pool = _tables()
    pool = pool.assign(age=pool["age"].astype(float))
    pool.loc[pool.index[[1, 4]], "age"] = np.nan
    with pytest.raises(MissingValueError, match=r"feature column 'age' of the pool has 2 "
                       r"missing value\(s\).*fill those values") as caught:
        _create(tmp_path / "s", labelled, pool, id="person")
    assert "missing='drop'" not in str(caught.value)
