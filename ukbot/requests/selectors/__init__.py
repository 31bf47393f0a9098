"""Read queries of `requests`: who may see which request and make which move (:mod:`.access`), the list page in
one statement (:mod:`.page`), a request's record (:mod:`.records`), and what the bot shows (:mod:`.views`)."""

from ukbot.requests.selectors.access import (
    Visibility,
    pool_categories,
    pool_for,
    request_for,
    request_moves_for,
    requests_visible_to,
    visibility_of,
)
from ukbot.requests.selectors.page import PAGE_EQUAL, PAGE_FILTERS, PAGE_IDS, PAGE_MATCH_ANY, PAGE_RANGE, requests_page
from ukbot.requests.selectors.records import (
    attachments_none,
    attachments_of,
    comments_for,
    comments_none,
    executors_by_load,
    history_none,
    history_of,
    material_get,
    materials_none,
    materials_of,
    materials_waiting,
    request_get,
    requests_none,
)

__all__ = [
    "PAGE_EQUAL",
    "PAGE_FILTERS",
    "PAGE_IDS",
    "PAGE_MATCH_ANY",
    "PAGE_RANGE",
    "Visibility",
    "attachments_none",
    "attachments_of",
    "comments_for",
    "comments_none",
    "executors_by_load",
    "history_none",
    "history_of",
    "material_get",
    "materials_none",
    "materials_of",
    "materials_waiting",
    "pool_categories",
    "pool_for",
    "request_for",
    "request_get",
    "request_moves_for",
    "requests_none",
    "requests_page",
    "requests_visible_to",
    "visibility_of",
]
