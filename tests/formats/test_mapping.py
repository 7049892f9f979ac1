"""Column mappings: validation on load, shipped mappings, and a Chinese national format in GB18030."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from iprisk.errors import MappingError
from iprisk.formats import load_mapping, mapping_from_dict, read_declarations, read_seizures, shipped_mappings

from ._data import seizure_row, seizure_rows, write_csv

CHINESE_MAPPING = """\
format: seizures
description: 海关总署知识产权查扣统计（示例）
columns:
  case_id: 案件编号
  line_no: 行号
  reporting_admin: 报告海关
  office: 口岸
  detention_date: 查扣日期
  flow: 贸易方向
  transport_mode: 运输方式
  provenance_country: 启运国
  destination_country: 目的国
  product_category: 商品类别
  hs_code: 商品编码
  ipr_type: 知识产权类型
  procedure: 启动方式
  articles: 数量
  right_holder_ref: 权利人编号
values:
  flow: {进口: import, 出口: export, 转运: transit}
  transport_mode: {海运: sea, 空运: air, 邮递: post, 快件: express, "*": other}
  product_category: {服装: clothing, 鞋类: shoes, 玩具: toys}
  ipr_type: {商标: trademark, 专利: patent}
  procedure: {依职权: ex_officio, 依申请: application}
"""

CN_TO_OURS = {
    "案件编号": "case_id",
    "行号": "line_no",
    "报告海关": "reporting_admin",
    "口岸": "office",
    "查扣日期": "detention_date",
    "贸易方向": "flow",
    "运输方式": "transport_mode",
    "启运国": "provenance_country",
    "目的国": "destination_country",
    "商品类别": "product_category",
    "商品编码": "hs_code",
    "知识产权类型": "ipr_type",
    "启动方式": "procedure",
    "数量": "articles",
    "权利人编号": "right_holder_ref",
}


def _chinese_rows() -> list[dict[str, str]]:
    modes = ["海运", "快件", "铁路联运"]  # the last one is not listed: "*" maps it to other
    return [
        {
            "案件编号": f"沪关-2019-{i:04d}",
            "行号": "1",
            "报告海关": "CN",
            "口岸": "CNSHA",
            "查扣日期": f"2019-0{4 + i % 3}-1{i}",
            "贸易方向": "出口",
            "运输方式": modes[i % 3],
            "启运国": "CN",
            "目的国": "DE",
            "商品类别": ["服装", "鞋类", "玩具"][i % 3],
            "商品编码": "640399",
            "知识产权类型": "商标",
            "启动方式": "依职权",
            "数量": str(100 + i),
            "权利人编号": f"权利人{i}",
        }
        for i in range(3)
    ]


def test_chinese_national_format_in_gb18030(tmp_path: Path) -> None:
    mapping = tmp_path / "gacc.yaml"
    mapping.write_text(CHINESE_MAPPING, encoding="utf-8")
    path = write_csv(_chinese_rows(), tmp_path / "查扣统计.csv", encoding="gb18030")
    batch = read_seizures(path, mapping=mapping)
    table = batch.table
    assert batch.admin == "CN" and str(batch.quarter) == "2019Q2"
    assert table.column("case_id").to_pylist()[0] == "沪关-2019-0000"
    assert table.column("flow").to_pylist() == ["export"] * 3
    assert table.column("transport_mode").to_pylist() == ["sea", "express", "other"]
    assert table.column("product_category").to_pylist() == ["clothing", "shoes", "toys"]
    assert table.column("right_holder_ref").to_pylist() == ["权利人0", "权利人1", "权利人2"]

    # the same data under our own names hashes the same
    ours = [{CN_TO_OURS[k]: v for k, v in r.items()} for r in _chinese_rows()]
    for r in ours:
        r["flow"] = "export"
        r["transport_mode"] = {"海运": "sea", "快件": "express"}.get(r["transport_mode"], "other")
        r["product_category"] = {"服装": "clothing", "鞋类": "shoes", "玩具": "toys"}[r["product_category"]]
        r["ipr_type"], r["procedure"] = "trademark", "ex_officio"
    assert read_seizures(write_csv(ours, tmp_path / "ours.csv")).content_hash == batch.content_hash


def test_unmapped_value_is_reported_in_our_column(tmp_path: Path) -> None:
    mapping = tmp_path / "gacc.yaml"
    mapping.write_text(CHINESE_MAPPING, encoding="utf-8")
    rows = _chinese_rows()
    rows[1]["商品类别"] = "手表"
    with pytest.raises(Exception) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv", encoding="gb18030"), mapping=mapping)
    (problem,) = info.value.problems  # type: ignore[attr-defined]
    assert (problem.rule, problem.row, problem.column, problem.value) == (
        "code",
        2,
        "product_category",
        "手表",
    )


def test_missing_mapped_column_names_their_column(tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "口岸"} for r in _chinese_rows()]
    mapping = yaml.safe_load(CHINESE_MAPPING)
    with pytest.raises(Exception) as info:
        read_seizures(write_csv(rows, tmp_path / "s.csv"), mapping=mapping)
    (problem,) = info.value.problems  # type: ignore[attr-defined]
    assert problem.rule == "missing_column" and "口岸" in problem.message and problem.column == "office"


def test_constants_and_case_insensitive_their_names(tmp_path: Path) -> None:
    rows = [
        {("CASE NUMBER" if k == "case_id" else k): v for k, v in r.items() if k != "reporting_admin"}
        for r in seizure_rows(3)
    ]
    mapping = {
        "format": "seizures",
        "columns": {"case_id": "case number"},
        "constants": {"reporting_admin": "DE"},
    }
    batch = read_seizures(write_csv(rows, tmp_path / "s.csv"), mapping=mapping)
    assert batch.admin == "DE"
    assert batch.content_hash == read_seizures(write_csv(seizure_rows(3), tmp_path / "o.csv")).content_hash


def test_extra_columns_kept_in_declarations(tmp_path: Path) -> None:
    from .test_declarations import declaration_row

    rows = [dict(declaration_row(i), **{"Risk Flag": f"R{i}"}) for i in range(1, 3)]
    table = read_declarations(
        write_csv(rows, tmp_path / "d.csv"),
        mapping={"format": "declarations", "extra": {"risk_flag": "Risk Flag"}},
    )
    assert table.column_names[-1] == "risk_flag"
    assert table.column("risk_flag").to_pylist() == ["R1", "R2"]


def test_shipped_kcs_mapping_loads_by_name() -> None:
    assert "kcs" in shipped_mappings()
    kcs = load_mapping("kcs")
    assert kcs.format == "declarations"
    assert kcs.columns["infringement"] == "Fraud"
    assert kcs.constants == {
        "flow": "import",
        "destination_country": "KR",
        "reporting_admin": "KR",
        "currency": "KRW",
        "controlled": "true",
    }
    assert kcs.values["transport_mode"]["10"] == "sea" and kcs.values["transport_mode"]["*"] == "other"
    assert kcs.extra["critical_fraud"] == "Critical Fraud"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"columns": {"case_id": "Nr"}}, "format: expected one of"),
        ({"format": "seizure"}, "format: expected one of"),
        ({"format": "seizures", "columns": {"caseid": "Nr"}}, "'caseid' is not a seizures column"),
        ({"format": "seizures", "columns": ["case_id"]}, "columns: expected a mapping"),
        ({"format": "seizures", "columns": {"case_id": ""}}, "columns.case_id: expected their column name"),
        ({"format": "seizures", "columns": {"case_id": "Nr", "line_no": "NR"}}, "mapped to both"),
        ({"format": "seizures", "values": {"flow": "import"}}, "values.flow: expected a mapping"),
        ({"format": "seizures", "values": {"flow": {"IM": "imports"}}}, "'imports' is not a flow code"),
        ({"format": "seizures", "values": {"colour": {"r": "red"}}}, "'colour' is not a seizures column"),
        (
            {"format": "seizures", "constants": {"flow": ["import"]}},
            "expected a single value",
        ),
        ({"format": "seizures", "columns": {"flow": "F"}, "constants": {"flow": "import"}}, "also mapped"),
        ({"format": "seizures", "extra": {"note": "Note"}}, "seizures table holds the format's columns only"),
        ({"format": "declarations", "extra": {"Risk Flag": "Risk"}}, "not a snake_case name"),
        ({"format": "declarations", "extra": {"value": "Value"}}, "map it under columns"),
        ({"format": "seizures", "colums": {}}, "unknown key(s) ['colums']"),
        (["format", "seizures"], "expected a mapping with keys"),
    ],
)
def test_malformed_mapping_names_the_file_and_the_problem(doc: Any, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert message in str(info.value)
    assert str(path) in str(info.value) and info.value.path == str(path)


def test_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match=r"not a shipped mapping.*kcs"):
        load_mapping("gacc")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("format: [seizures\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(path)


def test_mapping_for_the_other_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="this mapping is for declarations, not seizures"):
        read_seizures(write_csv([seizure_row()], tmp_path / "s.csv"), mapping="kcs")


def test_mapping_from_dict_coerces_yaml_scalars() -> None:
    m = mapping_from_dict(
        {
            "format": "declarations",
            "values": {"transport_mode": {10: "sea"}},
            "constants": {"controlled": True, "item_no": 2},
        }
    )
    assert m.values == {"transport_mode": {"10": "sea"}}
    assert m.constants == {"controlled": "true", "item_no": "2"}
