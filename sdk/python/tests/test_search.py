"""ktune.search: Katib's helpers, discrete and log, and their errors."""

import pytest

from ktune import search


def test_katib_shapes():
    assert search.double(0.1, 0.5) == {"parameterType": "double",
                                       "feasibleSpace": {"min": "0.1", "max": "0.5"}}
    assert search.int(1, 10, step=2) == {"parameterType": "int",
                                        "feasibleSpace": {"min": "1", "max": "10", "step": "2"}}
    assert search.categorical(["sgd", "adam"]).feasible_space.list == ["sgd", "adam"]
    # Read as Katib's V1beta1ParameterSpec is read.
    assert search.double(0, 1).parameter_type == "double"
    assert search.double(0, 1).feasible_space.max == "1"


def test_ktune_additions():
    assert search.double(1e-5, 1e-1, log=True)["feasibleSpace"] == {
        "min": "1e-05", "max": "0.1", "distribution": "logUniform"}
    assert search.int(1, 1024, log=True)["feasibleSpace"]["distribution"] == "logUniform"
    assert search.discrete([1, 2.5, 10]) == {"parameterType": "discrete",
                                            "feasibleSpace": {"list": ["1", "2.5", "10"]}}


@pytest.mark.parametrize("make, message", [
    (lambda: search.double(1, 0), r"min \(1\) must be less than max \(0\)"),
    (lambda: search.double(0, 1, log=True), "min must be positive"),
    (lambda: search.int(0.5, 3), "must be an integer"),
    (lambda: search.double("a", 1), "must be a number"),
    (lambda: search.double(0, float("inf")), "must be finite"),
    (lambda: search.double(0, 1, step=0), "step must be positive"),
    (lambda: search.categorical([]), "empty"),
    (lambda: search.categorical("abc"), "list of values"),
    (lambda: search.categorical(["a", "a"]), "repeat"),
    (lambda: search.discrete([1, 1.0]), "repeat"),
])
def test_mistakes_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()
