"""The browse index's documents as pages read them: a node's `_id`, its packing, the page sizes and
the anomaly filters. Built by `catalog.read_model` in the worker (pandas); read here, with none.

A node is always read whole, so it is stored packed (`node_pack`): its header (`_id`, kind,
path, page, pages, total) as fields, everything else as one compressed JSON value (orjson,
zstandard). A server writes and returns one binary value many times faster than the same items
as nested documents (figures in docs/performance.md).
"""

import json

import orjson
import zstandard

PAGE_SIZE = 50
# Items per page of a namespace's export pages: data points (every field of one), column rows.
EXPORT_PAGE_SIZE = 500
EXPORT_ROWS_PAGE_SIZE = 10_000
MAPPINGS_PAGE_SIZE = 1_000  # mappings of one physical column past its table page's share
# Characters in one node (each at most 4 bytes in UTF-8, plus a few per value): a node stays far
# below MongoDB's 16 MiB document limit, whichever server runs. Pages close early to keep it.
NODE_CHARS_BUDGET = 3 * 2**20
# A page's path holds the first three always and the status only when it filters by status, so
# the pages of versions written before statuses existed keep their ids.
ANOMALY_FILTERS = ("file", "code", "severity", "status")
# The status filter's value for every anomaly nobody accepted: "needs attention".
STATUS_OPEN = "open"
# The anomaly pages that hold statuses: rebuilt when a person accepts or undoes (`catalog.mongo.status_collection`).
STATUS_KINDS = frozenset({"anomalies", "anomaly_groups", "anomaly_group_rows"})
GROUP_LINES = 5  # first lines kept with each group of anomalies


NODE_HEADER = ("_id", "kind", "path", "page", "pages", "total")
_PACK_LEVEL = 1  # zstandard's fastest level: most of the gain, a fraction of the time


def node_id(kind: str, path: list, page: int = 1) -> str:
    return f"{kind}|{json.dumps(path, ensure_ascii=False)}|{page}"


def node_pack(node: dict) -> dict:
    """The document stored for a node: its header as fields; its items (and any other field) as
    one compressed JSON value `packed`; its binary `data` compressed on its own."""
    document = {name: node[name] for name in NODE_HEADER}
    body = {name: value for name, value in node.items() if name not in NODE_HEADER and name != "data"}
    document["packed"] = zstandard.compress(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), _PACK_LEVEL)
    if node.get("data") is not None:
        document["data"] = zstandard.compress(node["data"], _PACK_LEVEL)
    return document


def node_unpack(document: dict | None) -> dict | None:
    """The node a stored document holds (the inverse of `node_pack`)."""
    if document is None:
        return None
    node = {name: document[name] for name in NODE_HEADER}
    node.update(orjson.loads(zstandard.decompress(document["packed"])))
    if document.get("data") is not None:
        node["data"] = zstandard.decompress(document["data"])
    return node
