"""The inference and serving benchmarks compare like with like: fp32 with fp32, best with
best, and speed never without the accuracy it was bought at.

Unit tests of their scoring and selection; ``make bench`` is the measurement.
"""

from __future__ import annotations

import importlib

import pytest

from tests.benchmarks.test_bench_load import BENCHMARKS


@pytest.fixture
def bench_inference(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("bench_inference")


@pytest.fixture
def bench_serving(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("bench_serving")


def test_gold_entities_are_character_spans_of_the_joined_sentence(bench_inference):
    from open_interpreter.data.examples import TokenExamples

    examples = TokenExamples(
        [["Peter", "Blackburn", "in", "Bonn"]], [["B-PER", "I-PER", "O", "B-LOC"]]
    )

    (gold,) = bench_inference.gold_entities(examples)

    assert gold == {("PER", 0, 15), ("LOC", 19, 23)}
    assert "Peter Blackburn in Bonn"[19:23] == "Bonn"


def test_entity_f1_counts_an_entity_only_with_its_type_and_span(bench_inference):
    gold = [frozenset({("PER", 0, 15), ("LOC", 19, 23)})]

    assert bench_inference.entity_f1(gold, gold) == 1.0
    assert bench_inference.entity_f1([frozenset({("ORG", 0, 15), ("LOC", 19, 23)})], gold) == 0.5
    assert bench_inference.entity_f1([frozenset({("PER", 0, 5)})], gold) == 0.0


def test_a_fast_run_that_loses_accuracy_is_not_the_best(bench_inference):
    runs = bench_inference.runs_for(native_bf16=False)
    rate = {name: 100.0 for name in runs} | {"ours-int8": 900.0, "pipeline-int8-32": 800.0}
    f1 = {name: 0.80 for name in runs} | {"ours-int8": 0.70}

    targets, best = bench_inference.build_targets(runs, rate, f1)

    assert "int8" not in best["ours"]  # 10 points below: not eligible
    assert "int8" in best["reference"]
    int8_f1 = next(t for t in targets if t.what.startswith("entity F1 of ONNX int8"))
    assert not int8_f1.met


def test_fp32_is_compared_with_fp32_where_ours_would_run_bf16(bench_inference):
    assert "ours-fp32" in bench_inference.runs_for(native_bf16=True)
    assert "ours-fp32" not in bench_inference.runs_for(native_bf16=False)
    assert bench_inference.runs_for(native_bf16=True)["ours"].precision == "bf16"


def test_serving_best_against_best_takes_ours_with_keys_on_only(bench_serving):
    specs = bench_serving.server_specs(native_bf16=False)
    top = {}
    for index, name in enumerate(specs):
        load = bench_serving.LoadResult(name, 32, 1.0, latencies=[0.01] * (10 + index))
        top[name] = load
    top["ours-no-auth"].latencies = [0.01] * 1000  # fastest, but keys off

    ours, theirs = bench_serving.best_pair(specs, top)

    assert ours == "ours-int8"
    assert theirs == "naive-int8"
    assert all(specs[name].keys for name in specs if specs[name].ours and name != "ours-no-auth")
