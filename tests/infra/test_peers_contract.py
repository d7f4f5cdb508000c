"""The peer runners name their outputs the way `vforensics eval` looks them up."""

import importlib

import pytest

from vforensics.evaluation.cases import case_id


@pytest.fixture(scope="module", params=["run_pyifd", "run_sift_reference"])
def peer(request):
    # stdlib + numpy at import time; pyIFD / scipy only when run
    return importlib.import_module(f"tools.peers.{request.param}")


@pytest.mark.parametrize("file", ["images/splice/a.jpg", "data/copymove-noso/01_mod.png", "data/v1.2/x.y.jpg", "a"])
def test_case_ids_agree(peer, file):
    assert peer.case_id(file) == case_id(file)
