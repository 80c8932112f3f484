"""Query your own pool: you have a few labelled rows and many unlabelled ones; which to label next?

This is what a team with its own CSV does in Python: encode the tables, fit on the labelled
rows, ask fairpool which pool rows to send to the annotators, teach it their answers,
repeat. (For a campaign that lasts days, with labels coming back from a lab or Label
Studio, ``fairpool session`` keeps all of this on disk: examples/labelling_session.py.)

Run it from the repository root:  .venv/bin/python examples/query_your_own_pool.py
"""

from importlib.resources import files

import pandas as pd

import fairpool as fp

# Stand-in for your CSV: ProPublica's COMPAS file, which ships with fairpool.
# With your own data this line is: table = pd.read_csv("my_data.csv")
csv = files("fairpool.datasets") / "files" / "compas" / "compas-scores-two-years.csv.gz"
columns = ["sex", "age", "priors_count", "juv_fel_count", "c_charge_degree", "two_year_recid"]
table = pd.read_csv(csv, usecols=columns).sample(frac=1, random_state=0, ignore_index=True)

# 300 labelled rows, 1,000 rows to check the model on, and an unlabelled pool (no target
# column). The pool's true labels are held back: they play the annotators below.
labelled, test = table.iloc[:300], table.iloc[300:1300]
pool = table.iloc[1300:].drop(columns="two_year_recid")
annotators = table["two_year_recid"].iloc[1300:].to_numpy()

# A TableEncoder learns the columns from the labelled table (and the pool's categories and
# groups, read without labels), then turns any table with those columns, with or without
# the target, into the same numbers: one-hot columns for text, groups from `sensitive`.
encoder = fp.datasets.TableEncoder(target="two_year_recid", sensitive="sex")
encoder.fit(labelled, also=[pool])
lab, tst, unl = encoder.transform(labelled), encoder.transform(test), encoder.transform(pool)
X_labelled, X_test, X_pool = lab.X, tst.X, unl.X
sex_labelled, sex_test, sex_pool = lab.groups, tst.groups, unl.groups
y_labelled, y_test = lab.y, tst.y
print(f"features: {', '.join(encoder.feature_names_)}; pool of {len(pool)} unlabelled rows")


def check(al):
    """Accuracy and demographic-parity gap of the current model on the test rows."""
    y_pred = al.predict(X_test)
    dp = fp.metrics.demographic_parity_difference(y_test, y_pred, sensitive_features=sex_test)
    print(f"{al.n_labelled_} labelled: test accuracy {(y_pred == y_test).mean():.3f}, "
          f"DP gap {dp:.3f}")


al = fp.active.ActiveLearner(strategy="fal_fast", learner="logreg", seed=0,
                             group_names=encoder.group_names_)
al.fit(X_labelled, y_labelled, sex_labelled)
check(al)
for _ in range(3):
    # Pass the same pool objects every round: rows already taught are not offered again.
    idx = al.query(X_pool, sex_pool, 50)  # positions into the pool
    # Here you would send pool.iloc[idx] to your annotators and collect their answers.
    al.teach(idx, annotators[idx])  # adds those rows to the labelled set and refits
    check(al)

print("the last batch sent to the annotators:")
print(pool.iloc[idx].head())
