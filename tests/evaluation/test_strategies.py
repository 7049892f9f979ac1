import numpy as np

from iprisk.evaluation import compare_strategies, strategy_priorities


def test_model_plus_profiles_puts_mandatory_hits_first_then_scores_with_levels_breaking_ties() -> None:
    score = np.array([0.9, 0.1, 0.5, 0.2, 0.5])
    level = np.array([0, 2, 1, 2, 3])
    mandatory = np.array([False, False, False, True, False])
    order = np.argsort(-strategy_priorities(score, level, mandatory)["model+profiles"], kind="stable")
    assert list(order) == [3, 0, 4, 2, 1]


def test_gains_are_ratios_of_precision_at_the_same_k() -> None:
    rng = np.random.default_rng(1)
    labels = rng.random(2000) < 0.1
    perfect = labels.astype(float) + rng.random(2000) * 0.01
    table = compare_strategies(
        labels, {"random": rng.random(2000), "profiles": rng.random(2000), "model": perfect}, at=(5,)
    ).set_index("strategy")
    assert table.loc["model", "precision"] == 1.0
    assert table.loc["model", "gain_over_random"] == 1.0 / table.loc["random", "precision"]
    assert table.loc["random", "gain_over_random"] == 1.0
