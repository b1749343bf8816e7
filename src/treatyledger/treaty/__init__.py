"""Treaty specifications as data: the regime, its limits and counting rules.

The public API of this package; the TOML format is documented in
``docs/treaty-spec.md``.
"""

from treatyledger.treaty.builtin import builtin_names, load_builtin, resolve_spec
from treatyledger.treaty.counting import (
    Item,
    LimitCount,
    RuleCount,
    check_items,
    count_limit,
    count_limits,
)
from treatyledger.treaty.document import spec_to_json
from treatyledger.treaty.events import DatePrecision, EventKind, Obligation, StatusEvent
from treatyledger.treaty.inspections import InspectionRules, InspectionType, QuotaScope
from treatyledger.treaty.limits import CountBasis, CountingRule, Each, Limit
from treatyledger.treaty.loader import load_spec, parse_spec
from treatyledger.treaty.notifications import (
    Deadline,
    DeadlineRelation,
    FieldType,
    NotificationType,
    PayloadField,
    Vocabulary,
)
from treatyledger.treaty.schedule import (
    DataExchangeSchedule,
    ExchangeKind,
    ScheduledExchange,
    SpecialExchange,
)
from treatyledger.treaty.spec import (
    Commission,
    FacilityKind,
    ItemKind,
    ItemType,
    Party,
    Status,
    TreatyDates,
    TreatySpec,
)
from treatyledger.treaty.timing import MonthDay, format_duration, parse_duration

__all__ = [
    "Commission",
    "CountBasis",
    "CountingRule",
    "DataExchangeSchedule",
    "DatePrecision",
    "Deadline",
    "DeadlineRelation",
    "Each",
    "EventKind",
    "ExchangeKind",
    "FacilityKind",
    "FieldType",
    "InspectionRules",
    "InspectionType",
    "Item",
    "ItemKind",
    "ItemType",
    "Limit",
    "LimitCount",
    "MonthDay",
    "NotificationType",
    "Obligation",
    "Party",
    "PayloadField",
    "QuotaScope",
    "RuleCount",
    "ScheduledExchange",
    "SpecialExchange",
    "Status",
    "StatusEvent",
    "TreatyDates",
    "TreatySpec",
    "Vocabulary",
    "builtin_names",
    "check_items",
    "count_limit",
    "count_limits",
    "format_duration",
    "load_builtin",
    "load_spec",
    "parse_duration",
    "parse_spec",
    "resolve_spec",
    "spec_to_json",
]
