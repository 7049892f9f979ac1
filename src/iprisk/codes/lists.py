"""The closed code lists of the exchange formats, with English and Simplified Chinese labels.

Codes are the values written in files; labels are for people (reports, dashboards). Extending a list with a
new code is allowed by the formats; changing the meaning of an existing code is not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from iprisk.errors import UnknownCode


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    en: str
    zh: str

    def label(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


class CodeList(Mapping[str, Code]):
    """An ordered, read-only code list.

    ``PRODUCT_CATEGORIES['shoes'].zh``, ``'shoes' in PRODUCT_CATEGORIES``.
    """

    def __init__(self, name: str, codes: list[Code]):
        self.name = name
        self._codes = {c.code: c for c in codes}

    def __getitem__(self, code: str) -> Code:
        try:
            return self._codes[code]
        except KeyError:
            raise UnknownCode(self.name, code) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def label(self, code: str, lang: str = "en") -> str:
        return self[code].label(lang)

    def __repr__(self) -> str:
        return f"CodeList({self.name!r}, {list(self._codes)})"


def _list(name: str, rows: list[tuple[str, str, str]]) -> CodeList:
    return CodeList(name, [Code(*row) for row in rows])


PRODUCT_CATEGORIES = _list(
    "product_category",
    [
        ("foodstuffs", "Foodstuffs", "食品"),
        ("body_care", "Body care", "个人护理用品"),
        ("clothing", "Clothing", "服装"),
        ("shoes", "Shoes", "鞋类"),
        ("personal_accessories", "Personal accessories", "个人饰品"),
        ("mobile_phones", "Mobile phones, parts and accessories", "手机及其零配件"),
        ("electronics", "Electrical, electronic and computer equipment", "电气、电子和计算机设备"),
        ("media", "CDs, DVDs and game cartridges", "光盘及游戏卡带"),
        ("toys", "Toys", "玩具"),
        ("games", "Games (including consoles)", "游戏（含游戏机）"),
        ("sporting_articles", "Sporting articles", "体育用品"),
        ("tobacco", "Tobacco products", "烟草制品"),
        ("medicines", "Medicines", "药品"),
        ("labels_packaging", "Labels, tags, stickers and packaging", "标签、吊牌、贴纸及包装"),
        ("vehicle_parts", "Vehicle parts", "车辆零部件"),
        ("other", "Other goods", "其他商品"),
    ],
)

IPR_TYPES = _list(
    "ipr_type",
    [
        ("trademark", "Trademark", "商标"),
        ("design", "Design", "外观设计"),
        ("patent", "Patent", "专利"),
        ("utility_model", "Utility model", "实用新型"),
        ("copyright", "Copyright", "著作权"),
        ("geographical_indication", "Geographical indication", "地理标志"),
        ("plant_variety", "Plant variety right", "植物新品种权"),
        ("supplementary_protection_certificate", "Supplementary protection certificate", "补充保护证书"),
        ("topography", "Topography of semiconductor products", "集成电路布图设计"),
    ],
)

TRANSPORT_MODES = _list(
    "transport_mode",
    [
        ("post", "Postal traffic", "邮递"),
        ("express", "Express courier", "快件"),
        ("air", "Air cargo", "航空货运"),
        ("sea", "Sea", "海运"),
        ("road", "Road", "公路"),
        ("rail", "Rail", "铁路"),
        ("inland_waterway", "Inland waterway", "内河航运"),
        ("passenger", "Passenger baggage", "旅客行李"),
        ("other", "Other", "其他"),
    ],
)

FLOWS = _list(
    "flow",
    [
        ("import", "Import", "进口"),
        ("export", "Export", "出口"),
        ("transit", "Transit", "转运"),
    ],
)

PROCEDURES = _list(
    "procedure",
    [
        ("ex_officio", "Ex officio (customs' own initiative)", "依职权"),
        ("application", "Application for action by the right holder", "依申请"),
    ],
)

OUTCOMES = _list(
    "outcome",
    [
        ("destroyed", "Destroyed", "销毁"),
        ("destroyed_small_consignment", "Destroyed (small-consignment procedure)", "销毁（小件货物程序）"),
        ("court_case", "Court case", "诉讼"),
        ("released_original", "Released as original goods", "确认为正品放行"),
        ("released_no_action", "Released, right holder did not act", "权利人未采取行动放行"),
        ("ongoing", "Ongoing", "处理中"),
    ],
)

ALL_LISTS: dict[str, CodeList] = {
    cl.name: cl for cl in (PRODUCT_CATEGORIES, IPR_TYPES, TRANSPORT_MODES, FLOWS, PROCEDURES, OUTCOMES)
}
