"""Every notebook runs top to bottom against a lake the pipeline built."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration
NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, chain, deployed, localstack, monkeypatch):
    monkeypatch.setenv("PETROSTREAM_LAKE_ENDPOINT", localstack.endpoint)
    monkeypatch.setenv("PETROSTREAM_LAKE_BUCKET", deployed.lake_bucket)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    images = [
        o
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 4, "each figure should render"


def test_there_are_notebooks():
    assert NOTEBOOKS
