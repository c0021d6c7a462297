import pytest

from b24metrics.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    return wh
