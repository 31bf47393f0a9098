"""Write use-cases of `requests`: filing, every move of the state machine, details, comments, files, materials,
and the service-level sweeps.

Each service is one transaction that locks the request row, validates, writes the change and its history, and
publishes its events into the outbox, so a refused call leaves nothing behind. The modules, by stage of a
request's life: :mod:`.creation`, :mod:`.moves`, :mod:`.details`, :mod:`.attachments`, :mod:`.closing`,
:mod:`.materials`, :mod:`.sla`; what they share is in :mod:`.common`.
"""

from ukbot.requests.services.attachments import (
    KINDS_BY_ACTOR,
    MAX_ATTACHMENTS,
    attachment_drop,
    attachments_add,
    files_attach,
)
from ukbot.requests.services.closing import (
    clarification_answer,
    request_accept,
    request_complete,
    request_rate,
    request_return,
)
from ukbot.requests.services.common import MAX_DESCRIPTION
from ukbot.requests.services.creation import number_allocate, request_create
from ukbot.requests.services.details import EDITABLE, MANAGER_EDITABLE, comment_add, request_update
from ukbot.requests.services.materials import (
    MATERIAL_MOVES,
    MATERIAL_STAGES,
    MAX_MATERIAL_LINES,
    material_decide,
    materials_request,
)
from ukbot.requests.services.moves import REASSIGNABLE, request_move, request_reassign
from ukbot.requests.services.privacy import FORGOTTEN_TEXT, person_forget
from ukbot.requests.services.sla import auto_accept_sweep, sla_sweep

__all__ = [
    "EDITABLE",
    "FORGOTTEN_TEXT",
    "KINDS_BY_ACTOR",
    "MANAGER_EDITABLE",
    "MATERIAL_MOVES",
    "MATERIAL_STAGES",
    "MAX_ATTACHMENTS",
    "MAX_DESCRIPTION",
    "MAX_MATERIAL_LINES",
    "REASSIGNABLE",
    "attachment_drop",
    "attachments_add",
    "auto_accept_sweep",
    "clarification_answer",
    "comment_add",
    "files_attach",
    "material_decide",
    "materials_request",
    "number_allocate",
    "person_forget",
    "request_accept",
    "request_complete",
    "request_create",
    "request_move",
    "request_rate",
    "request_reassign",
    "request_return",
    "request_update",
    "sla_sweep",
]
