"""The sandbox's marketing: what each lead source is worth, the UTM campaigns that ran, and the
phone lines (tracking numbers and the main line).

Channels differ the way they do on real portals: an ad network brings many cheap leads that
seldom buy and buy little; a trade show brings few leads that buy big, months later; a
recommendation converts best.  Campaigns start and stop; some have their own tracking number.
:mod:`.inputs` writes the spend that bought them, so that on the demo one paid channel clearly
pays and another clearly does not.
"""

from __future__ import annotations

from typing import NamedTuple

from .datetimes import ANCHOR

__all__ = ["Economics", "ECONOMICS", "Campaign", "CAMPAIGNS", "MAIN_LINE", "SIP_LINE", "TRACKED",
           "PORTAL_NUMBERS", "month_index", "ANCHOR_MONTH"]


class Economics(NamedTuple):
    conversion: float   # chance that a lead of an average organisation is converted
    win: float          # factor on the chance that its deal is won
    deal: float         # factor on the deal's amount
    lag_days: float     # median days from the deal's creation to its close
    convert_days: float  # mean days from the lead to its conversion


#: SOURCE_ID -> its economics (None: leads with no source)
ECONOMICS: dict[str | None, Economics] = {
    "RECOMMENDATION": Economics(0.46, 1.3, 1.3, 20, 4),
    "PARTNER": Economics(0.42, 1.2, 1.1, 14, 3),
    "CALL": Economics(0.31, 1.0, 0.9, 12, 3),
    "WEBFORM": Economics(0.30, 1.15, 1.3, 30, 6),
    "WEB": Economics(0.25, 1.0, 1.0, 25, 6),
    "CALLBACK": Economics(0.27, 1.0, 0.8, 10, 2),
    "EMAIL": Economics(0.22, 0.9, 1.0, 20, 5),
    "TRADE_SHOW": Economics(0.24, 1.25, 3.0, 75, 14),
    "ADVERTISING": Economics(0.16, 0.9, 0.4, 8, 3),
    "OTHER": Economics(0.18, 0.9, 0.9, 20, 6),
    None: Economics(0.2, 1.0, 1.0, 20, 6),
}

#: the line outgoing calls use and callers who found the number anywhere; not a tracking number
MAIN_LINE = "+74951234567"
SIP_LINE = "reg133788"
#: tracking number -> (the source name its channel goes by, the economics of its callers)
TRACKED = {
    "+74957654321": ("Веб-сайт", "WEB"),
    "+78123334455": ("Выставка", "TRADE_SHOW"),
    "+74952220011": ("Реклама", "ADVERTISING"),
    "+74952220022": ("Реклама", "ADVERTISING"),
}
PORTAL_NUMBERS = [MAIN_LINE, *TRACKED, SIP_LINE]
#: where a CALL lead dialled: the main line or a tracking number (weights)
CALL_LINES = [MAIN_LINE, "+74957654321", "+78123334455", "+74952220011", "+74952220022"]
CALL_LINE_WEIGHTS = [40, 22, 10, 18, 10]


class Campaign(NamedTuple):
    name: str
    source: str            # SOURCE_ID of its leads
    utm_source: str
    utm_medium: str
    first: int             # months before the anchor's month it started (18: before the leads began)
    last: int              # months before the anchor's month it stopped (0: still running)
    conversion: float      # factor on its channel's conversion
    deal: float            # factor on its channel's deal amount
    number: str | None     # the tracking number its ads show, if any


CAMPAIGNS = [
    Campaign("direct_leadgen", "ADVERTISING", "yandex", "cpc", 18, 0, 1.0, 1.0, "+74952220011"),
    Campaign("vk_retarget", "ADVERTISING", "vk", "social", 15, 3, 0.7, 0.8, "+74952220022"),
    Campaign("tg_promo", "ADVERTISING", "telegram", "cpc", 7, 0, 0.8, 0.9, None),
    Campaign("brand_search", "WEB", "yandex", "cpc", 18, 0, 1.3, 1.1, None),
    Campaign("google_search", "WEB", "google", "cpc", 12, 0, 1.0, 1.0, None),
    Campaign("webinar_series", "WEBFORM", "email", "email", 18, 0, 1.3, 1.2, None),
    Campaign("kp_request", "WEBFORM", "yandex", "cpc", 10, 0, 1.0, 1.1, None),
    Campaign("callback_widget", "CALLBACK", "yandex", "cpc", 18, 0, 1.0, 1.0, None),
]

ANCHOR_MONTH = ANCHOR.year * 12 + ANCHOR.month - 1


def month_index(year: int, month: int) -> int:
    """Months before the anchor's month (the anchor's own month is 0, the one before it 1)."""
    return ANCHOR_MONTH - (year * 12 + month - 1)


def campaigns_running(source: str, months_before: int) -> list[Campaign]:
    return [c for c in CAMPAIGNS if c.source == source and c.last < months_before <= c.first]
