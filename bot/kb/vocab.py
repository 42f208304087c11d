"""Controlled vocabularies shared by the knowledge schema, the NLU gazetteer and the answers.

Every code here is a value staff may write in `knowledge/*.yml` or that NLU may extract. Labels exist in
English and Chinese; other languages fall back to English.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: tuple[str, ...] = ("en", "zh", "ja", "ko", "ru", "fr", "de", "es", "ar")


@dataclass(frozen=True)
class District:
    code: str
    en: str
    zh: str
    # Approximate centre of the district's urban area, used only to rank places whose own
    # coordinates are unknown. Source: the coordinates given on each district's Wikipedia article.
    lat: float
    lon: float


DISTRICTS: dict[str, District] = {
    d.code: d
    for d in (
        District("dongcheng", "Dongcheng", "东城区", 39.928, 116.416),
        District("xicheng", "Xicheng", "西城区", 39.912, 116.366),
        District("chaoyang", "Chaoyang", "朝阳区", 39.921, 116.443),
        District("haidian", "Haidian", "海淀区", 39.959, 116.298),
        District("fengtai", "Fengtai", "丰台区", 39.858, 116.287),
        District("shijingshan", "Shijingshan", "石景山区", 39.906, 116.223),
        District("mentougou", "Mentougou", "门头沟区", 39.937, 116.102),
        District("fangshan", "Fangshan", "房山区", 39.749, 116.143),
        District("tongzhou", "Tongzhou", "通州区", 39.909, 116.657),
        District("shunyi", "Shunyi", "顺义区", 40.130, 116.654),
        District("changping", "Changping", "昌平区", 40.221, 116.231),
        District("daxing", "Daxing", "大兴区", 39.727, 116.341),
        District("huairou", "Huairou", "怀柔区", 40.316, 116.632),
        District("pinggu", "Pinggu", "平谷区", 40.141, 117.121),
        District("miyun", "Miyun", "密云区", 40.377, 116.843),
        District("yanqing", "Yanqing", "延庆区", 40.457, 115.975),
    )
}

# A generous box around Beijing Municipality; coordinates outside it are a data-entry mistake.
BEIJING_BOUNDS = {"lat": (39.40, 41.10), "lon": (115.40, 117.55)}

SERVICES: dict[str, dict[str, str]] = {
    "residence_permit_work": {"en": "work-type residence permit", "zh": "工作类居留许可"},
    "residence_permit_study": {"en": "study residence permit", "zh": "学习类居留许可"},
    "residence_permit_family": {"en": "family-reunion residence permit", "zh": "团聚类居留许可"},
    "residence_permit_private_affairs": {
        "en": "private-affairs residence permit",
        "zh": "私人事务类居留许可",
    },
    "residence_permit_journalist": {"en": "journalist residence permit", "zh": "记者类居留许可"},
    "visa_extension": {"en": "visa extension, renewal and replacement", "zh": "签证延期、换发、补发"},
    "stay_permit": {"en": "stay permit", "zh": "停留证件"},
    "work_permit": {"en": "foreigner's work permit", "zh": "外国人工作许可"},
    "work_residence_joint": {
        "en": "work permit + work-type residence permit (joint application)",
        "zh": "工作许可和工作类居留许可“两证联办”",
    },
    "permanent_residence": {"en": "permanent residence", "zh": "永久居留"},
    "lost_passport_certificate": {"en": "lost-passport certificate", "zh": "护照报失证明"},
    "accommodation_registration": {"en": "accommodation registration", "zh": "住宿登记"},
    "talent_services": {"en": "talent services", "zh": "人才服务"},
    "high_level_talent_confirmation": {
        "en": "Confirmation Letter for High-Level Foreign Talents (R visa)",
        "zh": "外国高端人才确认函（R字签证）",
    },
    "port_visa": {"en": "port visa at the airport", "zh": "口岸签证"},
    "medical_examination": {"en": "medical examination for permits", "zh": "体检及验证"},
    "self_service_terminals": {"en": "24-hour self-service terminals", "zh": "24小时自助服务"},
    "citizen_services": {"en": "general government services", "zh": "政务服务"},
}

RESIDENCE_PERMIT_SERVICES = tuple(s for s in SERVICES if s.startswith("residence_permit_"))

# What a user-level "service" entity (NLU) means in terms of service codes.
SERVICE_ENTITY_CODES: dict[str, tuple[str, ...]] = {
    "residence_permit": RESIDENCE_PERMIT_SERVICES,
    "visa_extension": ("visa_extension", "stay_permit"),
    "work_permit": ("work_permit", "work_residence_joint"),
    "permanent_residence": ("permanent_residence",),
    "lost_passport_certificate": ("lost_passport_certificate",),
    "accommodation_registration": ("accommodation_registration",),
    "talent_services": ("talent_services", "high_level_talent_confirmation", "work_residence_joint"),
    "medical_examination": ("medical_examination",),
    "port_visa": ("port_visa",),
}

# The kind of office that specialises in a service (ranked first among equally near places).
SERVICE_PRIMARY_KIND: dict[str, str] = {
    **{s: "exit_entry_hall" for s in RESIDENCE_PERMIT_SERVICES},
    "visa_extension": "exit_entry_hall",
    "stay_permit": "exit_entry_hall",
    "permanent_residence": "exit_entry_hall",
    "lost_passport_certificate": "exit_entry_hall",
    "work_permit": "talent_centre",
    "work_residence_joint": "talent_centre",
    "talent_services": "talent_centre",
    "high_level_talent_confirmation": "talent_centre",
    "medical_examination": "health_check_centre",
    "port_visa": "port_visa_office",
    "accommodation_registration": "police_service_station",
}

# How a user-level need reads in an answer ("Where to go for a residence permit").
SERVICE_ENTITY_LABELS: dict[str, dict[str, str]] = {
    "residence_permit": {"en": "a residence permit", "zh": "居留许可"},
    "visa_extension": {"en": "a visa extension", "zh": "签证延期"},
    "work_permit": {"en": "a work permit", "zh": "工作许可"},
    "permanent_residence": {"en": "permanent residence", "zh": "永久居留"},
    "lost_passport_certificate": {"en": "a lost-passport certificate", "zh": "护照报失证明"},
    "accommodation_registration": {"en": "accommodation registration", "zh": "住宿登记"},
    "talent_services": {"en": "talent services", "zh": "人才服务"},
    "medical_examination": {"en": "the medical examination", "zh": "体检"},
    "port_visa": {"en": "a port visa", "zh": "口岸签证"},
}

PERMIT_TYPES: dict[str, dict[str, str]] = {
    "work": {"en": "work", "zh": "工作类"},
    "study": {"en": "study", "zh": "学习类"},
    "family": {"en": "family reunion", "zh": "团聚类"},
    "private_affairs": {"en": "private affairs", "zh": "私人事务类"},
    "journalist": {"en": "journalist", "zh": "记者类"},
}

SERVICE_POINT_KINDS: dict[str, dict[str, str]] = {
    "exit_entry_hall": {"en": "exit-entry service hall", "zh": "出入境接待大厅"},
    "talent_centre": {"en": "international talent service centre", "zh": "国际人才服务中心"},
    "government_service_hall": {"en": "government service hall", "zh": "政务服务中心"},
    "health_check_centre": {"en": "health check centre", "zh": "体检中心"},
    "port_visa_office": {"en": "port visa office", "zh": "口岸签证机关"},
    "police_service_station": {"en": "police service station", "zh": "警务服务站"},
    "community_service_centre": {"en": "community service centre", "zh": "社区服务中心"},
}

PROCEDURE_TOPICS = (
    "residence_permit",
    "visa",
    "accommodation_registration",
    "lost_passport",
    "work_permit",
    "talent_services",
    "permanent_residence",
)

CURRICULA: dict[str, dict[str, str]] = {
    "ib": {"en": "IB", "zh": "IB国际文凭"},
    "a_level": {"en": "A-Level", "zh": "A-Level"},
    "ap": {"en": "AP", "zh": "AP"},
    "american": {"en": "American", "zh": "美式课程"},
    "british": {"en": "British", "zh": "英式课程"},
    "french": {"en": "French", "zh": "法国课程"},
    "german": {"en": "German", "zh": "德国课程"},
    "japanese": {"en": "Japanese", "zh": "日本课程"},
    "korean": {"en": "Korean", "zh": "韩国课程"},
    "canadian": {"en": "Canadian", "zh": "加拿大课程"},
    "igcse": {"en": "IGCSE", "zh": "IGCSE"},
    "chinese_national": {"en": "Chinese national curriculum", "zh": "国家课程"},
    "bilingual": {"en": "bilingual", "zh": "双语"},
    "montessori": {"en": "Montessori", "zh": "蒙台梭利"},
    "ipc": {"en": "IPC", "zh": "IPC国际小学课程"},
}

HOSPITAL_KINDS = ("hospital", "clinic", "health_check_centre")

MEDICAL_NEEDS = ("emergency_room", "international_department", "english_speaking")

HOTLINE_CATEGORIES = (
    "emergency",
    "police",
    "fire",
    "ambulance",
    "traffic",
    "government",
    "immigration",
    "health",
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
