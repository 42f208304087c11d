"""Controlled vocabularies shared by the knowledge schema, the NLU gazetteer and the answers.

Every code here is a value staff may write in `knowledge/*.yml` or that NLU may extract. Their names in
each language are in `bot/locales/<lang>.yml`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import languages

# The language codes, from the registry (bot/core/languages.py).
LANGUAGES: tuple[str, ...] = languages.CODES


@dataclass(frozen=True)
class District:
    code: str
    # Approximate centre of the district's urban area, used only to rank places whose own
    # coordinates are unknown. Source: the coordinates given on each district's Wikipedia article.
    lat: float
    lon: float


DISTRICTS: dict[str, District] = {
    d.code: d
    for d in (
        District("dongcheng", 39.928, 116.416),
        District("xicheng", 39.912, 116.366),
        District("chaoyang", 39.921, 116.443),
        District("haidian", 39.959, 116.298),
        District("fengtai", 39.858, 116.287),
        District("shijingshan", 39.906, 116.223),
        District("mentougou", 39.937, 116.102),
        District("fangshan", 39.749, 116.143),
        District("tongzhou", 39.909, 116.657),
        District("shunyi", 40.130, 116.654),
        District("changping", 40.221, 116.231),
        District("daxing", 39.727, 116.341),
        District("huairou", 40.316, 116.632),
        District("pinggu", 40.141, 117.121),
        District("miyun", 40.377, 116.843),
        District("yanqing", 40.457, 115.975),
    )
}

# A generous box around Beijing Municipality; coordinates outside it are a data-entry mistake.
BEIJING_BOUNDS = {"lat": (39.40, 41.10), "lon": (115.40, 117.55)}

SERVICES: tuple[str, ...] = (
    "residence_permit_work",
    "residence_permit_study",
    "residence_permit_family",
    "residence_permit_private_affairs",
    "residence_permit_journalist",
    "visa_extension",
    "stay_permit",
    "work_permit",
    "work_residence_joint",
    "permanent_residence",
    "lost_passport_certificate",
    "accommodation_registration",
    "talent_services",
    "high_level_talent_confirmation",
    "port_visa",
    "medical_examination",
    "self_service_terminals",
    "citizen_services",
)

RESIDENCE_PERMIT_SERVICES = tuple(s for s in SERVICES if s.startswith("residence_permit_"))

# What a user-level "service" entity (NLU) means in terms of service codes.
SERVICE_ENTITY_CODES: dict[str, tuple[str, ...]] = {
    "residence_permit": RESIDENCE_PERMIT_SERVICES,
    "visa_extension": ("visa_extension", "stay_permit"),
    "work_permit": ("work_permit", "work_residence_joint"),
    "permanent_residence": ("permanent_residence",),
    "lost_passport_certificate": ("lost_passport_certificate",),
    "accommodation_registration": ("accommodation_registration",),
    "talent_services": (
        "talent_services",
        "high_level_talent_confirmation",
        "work_residence_joint",
    ),
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

PERMIT_TYPES: tuple[str, ...] = (
    "work",
    "study",
    "family",
    "private_affairs",
    "journalist",
)

SERVICE_POINT_KINDS: tuple[str, ...] = (
    "exit_entry_hall",
    "talent_centre",
    "government_service_hall",
    "health_check_centre",
    "port_visa_office",
    "police_service_station",
    "community_service_centre",
)

PROCEDURE_TOPICS = (
    "residence_permit",
    "visa",
    "accommodation_registration",
    "lost_passport",
    "work_permit",
    "talent_services",
    "permanent_residence",
)

CURRICULA: tuple[str, ...] = (
    "ib",
    "a_level",
    "ap",
    "american",
    "british",
    "french",
    "german",
    "japanese",
    "korean",
    "canadian",
    "igcse",
    "chinese_national",
    "bilingual",
    "montessori",
    "ipc",
)

# The curriculum of a school that teaches in a language, for a school question that names the language and no
# curriculum ("une école où les cours sont en français", "colegio en alemán"): that country's own schools.
CURRICULUM_TAUGHT_IN: dict[str, str] = {
    "fr": "french",
    "de": "german",
    "ja": "japanese",
    "ko": "korean",
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

# What a question can ask about a topic or record (the NLU entity `facet`, bot/nlu/facets.py; each
# knowledge kind says which of them its records hold, bot/knowledge/facets.py).
FACETS: tuple[str, ...] = (
    "address",
    "hours",
    "phone",
    "fee",
    "documents",
    "processing_time",
    "validity",
    "deadline",
    "eligibility",
    "steps",
    "order",
    "languages",
    "curriculum",
    "ages",
    "status",
    "booking",
    "website",
    "insurance",
    "boarding",
    "pupils",
    # Asked of places, held by no record (issue 13, honest gaps): "I don't have that" and whom to ask,
    # never the place's whole page or another of its facts.
    "parking",
    "transport",
    "meals",
    "doctors",
)
# The facets of FACETS that no kind of record holds (bot/knowledge/facets.py UNHELD).
UNHELD_FACETS: tuple[str, ...] = ("parking", "transport", "meals", "doctors")
