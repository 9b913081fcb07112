"""Fixtures of the parallel and cluster tests (test_cluster.py, test_cluster_native.py)."""

import pytest


@pytest.fixture(scope="module")
def dask_cluster():
    """A LocalCluster of two worker processes on this machine, and a client to watch it
    (once per module that asks for it)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c, \
            distributed.Client(c, set_as_default=False) as client:
        yield c, client


@pytest.fixture
def address(dask_cluster):
    c, client = dask_cluster
    client.wait_for_workers(2, timeout=60)     # a test that kills one leaves its restart behind
    return c.scheduler_address
