"""Audit a model: train a classifier on bundled data, then measure how it treats each group.

Run it from the repository root:  .venv/bin/python examples/audit_a_model.py
"""

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fairpool as fp

# Adult census data ships with fairpool (nothing is downloaded). X is already encoded
# (numbers and one-hot columns), y is 1 for income >50K, and groups holds each row's
# sex as an integer code into ds.group_names.
ds = fp.datasets.load("adult", sensitive="sex")
X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
    ds.X, ds.y, ds.groups, test_size=0.3, random_state=0, stratify=ds.y
)

# Any classifier will do; fairpool audits its predictions, not the model.
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(X_train, y_train)
y_pred = model.predict(X_test)
print(f"accuracy: {(y_pred == y_test).mean():.3f}")

# Every rate of every group in one table (group_names turns the codes back into names).
report = fp.metrics.group_report(
    y_test, y_pred, sensitive_features=g_test, group_names=ds.group_names
)
print(report.by_group[["count", "selection_rate", "tpr", "fpr", "accuracy"]].round(3)
      .rename_axis("sex"))

# The headline disparities: 0 (or a ratio of 1) is perfectly fair.
sex = [ds.group_names[code] for code in g_test]  # names work as well as codes
dp = fp.metrics.demographic_parity_difference(y_test, y_pred, sensitive_features=sex)
eo = fp.metrics.equalized_odds_difference(y_test, y_pred, sensitive_features=sex)
di = fp.metrics.disparate_impact_ratio(y_test, y_pred, sensitive_features=sex, privileged="Male")
print(f"demographic parity difference: {dp:.3f}  (gap in P(predicted >50K) between sexes)")
print(f"equalized odds difference:     {eo:.3f}  (largest gap in TPR or FPR)")
print(f"disparate impact (F / M):      {di:.3f}  (" + ("fails" if di < 0.8 else "passes")
      + " the four-fifths rule)")
