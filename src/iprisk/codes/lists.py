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

# -- the referral between ports (issue 11; docs/formats.md, "Referrals") ----------------------------------

TRANSPORT_DOCUMENTS = _list(
    "transport_document",
    [
        ("bill_of_lading", "Bill of lading (B/L)", "提单"),
        ("air_waybill", "Air waybill (AWB)", "航空货运单"),
        ("rail_waybill", "Rail consignment note (CIM/SMGS)", "铁路运单"),
        ("road_consignment_note", "Road consignment note (CMR)", "公路运单"),
        ("container", "Container number (ISO 6346)", "集装箱号"),
        ("parcel", "Postal or express parcel number", "邮件或快件单号"),
    ],
)

PARTY_ROLES = _list(
    "party_role",
    [
        ("consignor", "Consignor / exporter", "发货人／出口商"),
        ("consignee", "Consignee / importer", "收货人／进口商"),
        ("declarant", "Declarant", "申报人"),
        ("carrier", "Carrier", "承运人"),
    ],
)

PARTY_SCHEMES = _list(
    "party_scheme",
    [
        ("eori", "EORI number", "EORI编号"),
        ("uscc", "Unified social credit code", "统一社会信用代码"),
        ("customs_code", "Customs registration code", "海关注册编码"),
        ("national", "Other national identifier", "其他国家识别码"),
    ],
)

RISK_INDICATORS = _list(
    "risk_indicator",
    [
        ("export_detection", "Fakes found at export control", "出口查验发现侵权货物"),
        ("import_detection", "Fakes found in a related import", "相关进口货物发现侵权"),
        ("profile_match", "Matches a risk profile", "命中风险布控规则"),
        ("high_score", "High targeting score", "风险评分高"),
        ("known_party", "Party known for infringements", "涉及已知侵权当事人"),
        ("undervaluation", "Declared value far below the norm", "申报价格明显偏低"),
        ("description_mismatch", "Description does not fit the goods or HS code", "品名与货物或税号不符"),
        ("route_anomaly", "Unusual route or transhipment", "运输路线或转运异常"),
        ("right_holder_alert", "Alert from the right holder", "权利人提供线索"),
        ("intelligence", "Other intelligence", "其他情报"),
    ],
)

REQUESTED_ACTIONS = _list(
    "requested_action",
    [
        ("physical_control", "Physical examination", "开箱查验"),
        ("scan", "Non-intrusive scan", "非侵入式机检"),
        ("documentary_check", "Documentary check", "单证审核"),
        ("monitor", "Monitor, no control requested", "布控监视，不要求查验"),
    ],
)

LEGAL_BASES = _list(
    "legal_basis",
    [
        (
            "cmaa_spontaneous",
            "Customs mutual assistance agreement: spontaneous assistance",
            "海关行政互助协定：主动提供协助",
        ),
        (
            "cmaa_request",
            "Customs mutual assistance agreement: assistance on request",
            "海关行政互助协定：应请求提供协助",
        ),
        (
            "action_plan",
            "EU-China IPR customs action plan (no personal data)",
            "中欧海关知识产权合作行动计划（不含个人数据）",
        ),
    ],
)

HANDLING_CODES = _list(
    "handling_code",
    [
        ("customs_only", "For customs use only", "仅限海关使用"),
        ("restricted", "Restricted to named officers of the receiving port", "仅限接收口岸指定人员"),
        ("law_enforcement", "May be shared with law-enforcement authorities", "可与执法机关共享"),
    ],
)

CONTROL_TYPES = _list(
    "control_type",
    [
        ("documentary", "Documentary check", "单证审核"),
        ("scan", "Scan (non-intrusive)", "机检"),
        ("physical", "Physical examination", "开箱查验"),
    ],
)

FEEDBACK_RESULTS = _list(
    "feedback_result",
    [
        ("seized", "Seized (goods detained)", "查扣"),
        ("released", "Controlled and released", "查验后放行"),
        ("not_found", "Consignment not found", "未找到该批货物"),
        ("not_arrived", "Goods did not arrive", "货物未到达"),
    ],
)

REFERRAL_STATES = _list(
    "referral_state",
    [
        ("drafted", "Drafted", "草稿"),
        ("sent", "Sent", "已发送"),
        ("received", "Received", "已接收"),
        ("acknowledged", "Acknowledged", "已确认"),
        ("feedback_given", "Feedback given", "已反馈"),
        ("closed", "Closed", "已结案"),
        ("expired", "Expired", "已过期"),
    ],
)

REFERRAL_ALERTS = _list(
    "referral_alert",
    [
        ("ack_reminder", "Acknowledgement overdue: reminder to the port", "确认逾期：已提醒口岸"),
        ("ack_escalation", "Acknowledgement overdue: escalated to the coordinator", "确认逾期：已上报协调员"),
        ("feedback_reminder", "Feedback overdue: reminder to the port", "反馈逾期：已提醒口岸"),
        ("feedback_escalation", "Feedback overdue: escalated to the coordinator", "反馈逾期：已上报协调员"),
    ],
)

NETWORK_PORT_KINDS = _list(
    "network_port_kind",
    [
        ("sea", "Sea port", "海港口岸"),
        ("air", "Airport", "航空口岸"),
        ("rail", "Rail terminal", "铁路口岸"),
        ("road", "Road crossing", "公路口岸"),
        ("post", "Postal or express hub", "邮递及快件口岸"),
    ],
)

#: The code lists of the referral (warning, acknowledgement, feedback), documented in docs/formats.md.
REFERRAL_LISTS: tuple[CodeList, ...] = (
    TRANSPORT_DOCUMENTS, PARTY_ROLES, PARTY_SCHEMES, RISK_INDICATORS, REQUESTED_ACTIONS, LEGAL_BASES,
    HANDLING_CODES, CONTROL_TYPES, FEEDBACK_RESULTS, REFERRAL_STATES, REFERRAL_ALERTS, NETWORK_PORT_KINDS,
)  # fmt: skip

ALL_LISTS: dict[str, CodeList] = {
    cl.name: cl
    for cl in (PRODUCT_CATEGORIES, IPR_TYPES, TRANSPORT_MODES, FLOWS, PROCEDURES, OUTCOMES, *REFERRAL_LISTS)
}
