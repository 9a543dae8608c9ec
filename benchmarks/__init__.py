"""Benchmarks (installed as ``invcodec_benchmarks``); not part of the test run."""
