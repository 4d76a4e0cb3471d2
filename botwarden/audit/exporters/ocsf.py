"""The ``ocsf`` export format: each record as an OCSF 1.1.0 API Activity event (class 6003)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

from botwarden.audit.canonical import canonical_json
from botwarden.audit.exporters.interface import ExportContext, Exporter, record_time

OCSF_VERSION = "1.1.0"
CATEGORY_UID = 6
CLASS_UID = 6003
OTHER = 99

ACTIVITY_NAMES = {1: "Create", 2: "Read", 3: "Update", 4: "Delete", OTHER: "Other"}

# The activity of an action, found from its verb: the part after the object
# ("secret.read" → "read"), up to any underscore ("key.rotate_root" → "rotate").
VERB_ACTIVITY = {
    **dict.fromkeys(("create", "add", "init", "register", "issue", "stage"), 1),
    **dict.fromkeys(("read", "reveal", "describe", "list", "get", "show", "backup"), 2),
    **dict.fromkeys(("update", "set", "rotate", "rewrap", "rename", "policy", "restore"), 3),
    **dict.fromkeys(("delete", "destroy", "remove", "discard", "purge", "revoke"), 4),
}

SEVERITY = {"allowed": (1, "Informational"), "denied": (2, "Low"), "failed": (3, "Medium")}

# OCSF user types: 1 User and 3 System exist; the other kinds of actor are 99 Other.
USER_TYPE = {
    "user": (1, "User"),
    "system": (3, "System"),
    "bot": (OTHER, "Bot"),
    "runner": (OTHER, "Runner"),
    "run": (OTHER, "Run"),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def activity_id(action: str, details: dict[str, Any]) -> int:
    """The OCSF activity of an action: 1 Create, 2 Read, 3 Update, 4 Delete or 99 Other."""

    parts = action.lower().split(".")
    verb = (parts[1] if len(parts) > 1 else parts[0]).split("_")[0]
    if verb == "write":
        # NOTE: a write that made version 1 created the secret; later ones update it.
        return 1 if details.get("version") == 1 else 3
    return VERB_ACTIVITY.get(verb, OTHER)


def endpoint(source: str) -> dict[str, str]:
    """The OCSF network endpoint of a record's source: its ``ip`` if it is an address."""

    try:
        return {"ip": str(ipaddress.ip_address(source))}
    except ValueError:
        return {"name": source}


class OcsfExporter(Exporter):
    """Records as OCSF API Activity events, one JSON object per line."""

    name = "ocsf"

    def line(self, record: dict[str, Any], data: bytes, context: ExportContext) -> str:
        activity = activity_id(record["action"], record["details"])
        severity_id, severity = SEVERITY[record["outcome"]]
        succeeded = record["outcome"] == "allowed"
        actor = record["actor"]
        user_type_id, user_type = USER_TYPE.get(actor["kind"], (0, "Unknown"))

        event: dict[str, Any] = {
            "activity_id": activity,
            "activity_name": ACTIVITY_NAMES[activity],
            "actor": {
                "user": {
                    "name": actor["id"],
                    "type": user_type,
                    "type_id": user_type_id,
                    "uid": f"{actor['kind']}:{actor['id']}",
                }
            },
            "api": {"operation": record["action"]},
            "category_name": "Application Activity",
            "category_uid": CATEGORY_UID,
            "class_name": "API Activity",
            "class_uid": CLASS_UID,
            "dst_endpoint": {"hostname": context.hostname},
            "metadata": {
                "product": {"name": "botwarden", "vendor_name": "botwarden"},
                "uid": str(record["seq"]),
                "version": OCSF_VERSION,
            },
            "resources": [{"name": record["target"]}],
            "severity": severity,
            "severity_id": severity_id,
            "status": "Success" if succeeded else "Failure",
            "status_id": 1 if succeeded else 2,
            "time": (record_time(record) - _EPOCH) // timedelta(milliseconds=1),
            "type_name": f"API Activity: {ACTIVITY_NAMES[activity]}",
            "type_uid": CLASS_UID * 100 + activity,
            "unmapped": {
                "details": record["details"],
                "redacted": record["redacted"],
                "request_id": record["request_id"],
                "run_id": record["run_id"],
            },
        }
        if not succeeded:
            event["status_detail"] = record["outcome"]
        if record["source"] is not None:
            event["src_endpoint"] = endpoint(record["source"])
        return canonical_json(event).decode("utf-8")
