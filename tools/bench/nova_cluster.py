"""The real Nova for tools/bench_compute.py (filled in below)."""


class NovaCluster:
    def __init__(self, venv, workdir, workers):
        raise NotImplementedError('the Nova side of the benchmark is not written yet')
