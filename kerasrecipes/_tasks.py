"""The kinds of target a model learns: one closed set, which every layer of the package reads from here.

`TARGET_TASKS` are scikit-learn's `type_of_target` words for what the target asks of the head and the loss.
The scenario table adds its deep-learning rows (`recipes.TASKS`); the data, the losses and the recipes
check a task against these names, so they cannot disagree.
"""

TARGET_TASKS = ("regression", "binary", "multiclass", "multilabel")
"""What the target is: a number, one of two classes, one of several classes, or any number of several labels
(one 0/1 column per label)."""

SCORE_METRIC = {"regression": "r2", "binary": "accuracy", "multiclass": "accuracy", "multilabel": "accuracy"}
"""The test metric a run's `score` equals, per target task: R^2 for a number (1 - the squared error's sum over
the test target's sum of squared deviations from its mean), accuracy for classes (for labels, the share of
right labels). Runs, sweeps and the summary compare runs by it."""

MAXIMIZED_METRICS = ("accuracy", "auc")
"""The logged metrics whose higher values are better (with or without `val_`); every other one (a loss, an error)
is better lower. A sweep's `goal` must agree, and cross-validation picks each fold's best epoch by it."""
