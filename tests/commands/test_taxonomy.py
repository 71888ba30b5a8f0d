"""The category-tree loader: merge by path, reject malformed rows by line, load the real tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.directory.models import Category
from hotline.directory.taxonomy import load_taxonomy
from hotline.errors import InvalidInput

REAL = Path(__file__).resolve().parents[3] / "shared/data/tipdm2020c/taxonomy.csv"


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "taxonomy.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_it_creates_each_node_once_and_reports_bad_rows_by_line(db, tmp_path):
    path = _csv(tmp_path, "一级分类,二级分类,三级分类\n"
                          "城乡建设,市政设施,井盖缺失\n"
                          "城乡建设,市政设施,路面积水\n"
                          "城乡建设,,空的二级\n"
                          "环境保护,噪声,夜间施工,多一列\n"
                          "环境保护,噪声/污染,斜杠\n"
                          "\n"
                          "环境保护,噪声,广场舞噪声\n")
    result = load_taxonomy(path)
    assert result.rows == 6
    assert result.created == {1: 2, 2: 2, 3: 3}
    assert [line for line, _reason in result.rejected] == [4, 5, 6]
    assert "二级分类为空" in result.rejected[0][1]
    assert "列数不符" in result.rejected[1][1]
    node = Category.objects.get(path="城乡建设/市政设施/井盖缺失")
    assert (node.level, node.parent.path, node.parent.parent.path) == (3, "城乡建设/市政设施", "城乡建设")
    again = load_taxonomy(path)
    assert again.created_total == 0
    assert again.existing == 3
    assert Category.objects.count() == 7


def test_it_merges_into_the_district_tree(district, tmp_path):
    before = Category.objects.count()
    result = load_taxonomy(_csv(tmp_path, "一级分类,二级分类,三级分类\n城乡建设,供暖,新建小区未供暖\n城乡建设,供暖,供暖费争议\n",
                                encoding="gbk"))
    assert result.existing == 1
    assert result.created == {1: 0, 2: 0, 3: 1}
    assert Category.objects.count() == before + 1
    assert Category.objects.get(path="城乡建设/供暖/供暖费争议").parent == district.categories["新建小区未供暖"].parent


def test_it_refuses_a_file_without_the_three_columns(db, tmp_path):
    with pytest.raises(InvalidInput) as exc:
        load_taxonomy(_csv(tmp_path, "一级,二级\n甲,乙\n"))
    assert exc.value.code == "missing_columns"
    assert "一级分类" in str(exc.value.message)


@pytest.mark.skipif(not REAL.is_file(), reason="shared data not present")
def test_it_loads_the_real_taxonomy(db):
    result = load_taxonomy(REAL)
    assert result.rows == 517
    assert result.rejected == []
    assert Category.objects.filter(level=1).count() == 15
    assert Category.objects.filter(level=3).count() == result.created[3]
    assert load_taxonomy(REAL).created_total == 0
