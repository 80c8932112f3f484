"""Mitigate a model's disparity before, during or after training, and in a campaign.

Fits logistic regression on Adult with and without three of fairpool's mitigations
(reweighing the rows, a fairness penalty in the loss, per-group thresholds) and prints
accuracy and the demographic-parity gap of each on the same test rows; then runs an
active-learning campaign whose learner is a mitigation, by name.

    python examples/mitigate_a_model.py
"""
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fairpool as fp

ds = fp.datasets.load("adult", sensitive="sex")
X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
    ds.X, ds.y, ds.groups, test_size=0.3, random_state=0, stratify=ds.y
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

models = {
    "plain": LogisticRegression(max_iter=1000),
    "reweighing": fp.mitigation.Reweighing(LogisticRegression(max_iter=1000)),
    "penalty": fp.mitigation.FairnessPenaltyClassifier(weight=1.0, random_state=0),
    "thresholds": fp.mitigation.GroupThresholdClassifier(
        LogisticRegression(max_iter=1000), constraint="demographic_parity", random_state=0
    ),
}
for name, model in models.items():
    # sensitive_features is fit metadata, as in fairlearn; the plain model takes none
    if name == "plain":
        model.fit(X_train, y_train)
        y_pred = model.predict(X_test)
    else:
        model.fit(X_train, y_train, sensitive_features=g_train)
        # per-group thresholds need each test row's group to decide
        y_pred = (model.predict(X_test, sensitive_features=g_test) if name == "thresholds"
                  else model.predict(X_test))
    accuracy = (y_pred == y_test).mean()
    gap = fp.metrics.demographic_parity_difference(y_test, y_pred, sensitive_features=g_test)
    print(f"{name:>10}: accuracy {accuracy:.3f}, DP gap {gap:.3f}")

# The same mitigations are learners by name: collect with entropy, train with reweighing.
history = fp.active.run(ds, strategy="entropy", learner="reweighing", budget=200,
                        batch_size=50, seed=0)
final = history.final
print(f"entropy + reweighing, {final['n_labelled']} labelled: "
      f"accuracy {final['accuracy']:.3f}, DP gap {final['demographic_parity']:.3f}")
