"""Helpers for the benchmarks in tools/ (load generator, server launchers)."""
