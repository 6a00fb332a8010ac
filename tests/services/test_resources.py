"""The resource sampler: CPU, memory and GPU figures of the server and of processes."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from open_interpreter.services.resources import ProcessFigures, ResourceSampler, parse_nvidia_smi


def test_nvidia_smi_output_is_read_per_gpu():
    gpus = parse_nvidia_smi("0, NVIDIA H200, 35, 1024, 143771\n1, NVIDIA H200, [N/A], 0, 143771\n")
    assert [g["index"] for g in gpus] == [0, 1]
    assert gpus[0]["utilization_percent"] == 35.0
    assert gpus[0]["memory_used_bytes"] == 1024 * 1024 * 1024
    assert gpus[1]["utilization_percent"] == 0.0


def test_the_sampler_keeps_a_bounded_series():
    sampler = ResourceSampler(interval_s=0.05, capacity=3)
    for _ in range(5):
        sampler.sample()
    samples = sampler.samples()
    assert len(samples) == 3
    assert sampler.samples(since=samples[1]["time"]) == samples[2:]
    assert 0 <= samples[-1]["cpu_percent"] <= 100
    assert samples[-1]["memory_total_bytes"] > samples[-1]["memory_used_bytes"] > 0
    assert samples[-1]["process"]["rss_bytes"] > 0
    with pytest.raises(ValueError, match="capacity"):
        ResourceSampler(capacity=0)


def test_the_sampler_thread_samples_until_stopped():
    sampler = ResourceSampler(interval_s=0.05)
    sampler.start()
    try:
        time.sleep(0.3)
    finally:
        sampler.stop()
    count = len(sampler.samples())
    assert count >= 2
    assert len(sampler.samples()) == count


def test_process_figures_count_child_processes():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        figures = ProcessFigures(children=True).measure()
        assert figures["processes"] >= 2
        assert ProcessFigures().measure()["processes"] == 1
    finally:
        child.kill()
        child.wait()
