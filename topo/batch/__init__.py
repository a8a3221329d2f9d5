"""Batches: a sweep of design variants planned in parallel and compared.

:func:`~topo.batch.sweep.expand_sweep` turns a sweep file into variants,
:func:`~topo.batch.run.run_batch` plans them on a pool of worker processes or a Dask
cluster (:mod:`~topo.batch.workers`) and compares them.
"""

from topo.batch.run import BatchResult, run_batch
from topo.batch.sweep import expand_sweep, load_sweep

__all__ = ["BatchResult", "expand_sweep", "load_sweep", "run_batch"]
