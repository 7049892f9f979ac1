"""The newsletter as an e-mail: inline CSS, the charts inline as PNG, a plain-text alternative."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

from iprisk.reports import write_email
from iprisk.reports.plain import render_text, width
from tests.reports.conftest import Built


def test_the_email_has_a_text_and_an_html_part_with_its_images(built: Built, tmp_path: Path) -> None:
    path = write_email(built.newsletter["zh"], tmp_path / "newsletter.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "2016年第四季度风险简报"
    plain, related = msg.get_payload()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    text = plain.get_content()
    assert text.startswith("2016年第四季度风险简报\n") and "表1" in text
    html_part, *images = related.get_payload()
    html = html_part.get_content()
    assert "<style" not in html and 'style="' in html  # inline CSS only: mail clients drop style sheets
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    assert cids and cids == {i["Content-ID"].strip("<>") for i in images}
    assert all(i.get_content_type() == "image/png" and i.get_content()[:4] == b"\x89PNG" for i in images)
    assert "<svg" not in html


def test_plain_text_tables_line_up_with_chinese_text(built: Built) -> None:
    text = render_text(built.annual["zh"])
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("按商品类别"))
    rule, first = lines[header + 1], lines[header + 2]
    # the dashes under each column are as wide as its widest cell: columns end where the rule's parts end
    assert width(first) <= width(rule) + 2
    assert width("案件数") == 6 and width("cases") == 5
