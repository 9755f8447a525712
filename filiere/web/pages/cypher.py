"""Cypher (``/requetes``, since ``POST /cypher`` is the API's): saved queries as forms, an editor.

A saved query runs with ``?requete=NAME&p.PARAM=value``, a typed one with ``?texte=...``:
the state is in the URL, so a result can be bookmarked and shared. Queries go through
:func:`filiere.queries.cypher_runner.run_readonly` (planned first, refused when they would
write, run in a read transaction with the API's timeout, row and byte limits). Results show
as a table and, when rows hold nodes and relationships, as a Cytoscape graph. On the
embedded store the page says that Cypher needs Neo4j and how to start it.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from filiere.api.deps import ApiSettingsDep, StoreDep
from filiere.errors import CypherError
from filiere.i18n import _
from filiere.queries.cypher_runner import CypherResult, run_readonly
from filiere.queries.library import CypherQuery, exists, library, load
from filiere.web.auth import Viewer
from filiere.web.pages.places import json_block
from filiere.web.render import HEADERS, PageError, page_router, render

router = page_router()

#: Longest query text the editor accepts, and longest parameter value.
MAX_QUERY = 10_000
MAX_VALUE = 1_000
#: Most parameters a request may carry.
MAX_PARAMS = 20
#: Most nodes drawn as a graph (the table always shows every row returned).
MAX_GRAPH_NODES = 500


def parse_value(raw: str) -> Any:
    """A form value: JSON when it reads as a list, object, number or boolean, else text.

    >>> parse_value('["CN", "DE"]'), parse_value("5"), parse_value("P-KAPLAN"), parse_value('"7"')
    (['CN', 'DE'], 5, 'P-KAPLAN', '7')
    """
    text = raw.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def cell(value: Any) -> str:
    """A result value in a table cell: nodes by label and key, the rest as compact JSON."""
    if isinstance(value, dict) and "labels" in value and "properties" in value:
        props = value["properties"]
        key = props.get("id") or props.get("code") or props.get("name") or ""
        name = props.get("name")
        label = ":".join(value["labels"])
        return f"({label} {key}{' · ' + str(name) if name and name != key else ''})"
    if isinstance(value, dict) and "type" in value and "properties" in value:
        return f"[:{value['type']}]"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def graph_elements(result: CypherResult) -> list[dict[str, Any]]:
    """Cytoscape elements of the nodes and relationships found in the rows (paths too)."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, dict) and "element_id" in value and "labels" in value:
            props = value["properties"]
            name = props.get("name") or props.get("id") or props.get("code") or ""
            label = f"{':'.join(value['labels'])}\n{name}"
            nodes.setdefault(
                value["element_id"], {"data": {"id": value["element_id"], "label": label}}
            )
        elif isinstance(value, dict) and "element_id" in value and "start" in value:
            edges.setdefault(
                value["element_id"],
                {
                    "data": {
                        "id": "r" + value["element_id"],
                        "source": value["start"],
                        "target": value["end"],
                        "label": value["type"],
                    }
                },
            )
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)

    for row in result.rows:
        visit(list(row.values()))
        if len(nodes) > MAX_GRAPH_NODES:
            break
    shown = dict(list(nodes.items())[:MAX_GRAPH_NODES])
    for e in edges.values():  # an end not returned by the query is drawn as a bare node
        for end in (e["data"]["source"], e["data"]["target"]):
            if end not in shown and len(shown) < MAX_GRAPH_NODES:
                shown[end] = {"data": {"id": end, "label": "?"}}
    kept = [
        e for e in edges.values() if e["data"]["source"] in shown and e["data"]["target"] in shown
    ]
    return [*shown.values(), *kept] if shown else []


def _form_params(request: Request, query: CypherQuery) -> dict[str, Any]:
    values = {k[2:]: v for k, v in request.query_params.items() if k.startswith("p.")}
    if len(values) > MAX_PARAMS or any(len(v) > MAX_VALUE for v in values.values()):
        raise PageError(400, _("too many or too long parameters"))
    return {name: parse_value(values.get(name, "")) for name in query.params}


@router.get("/requetes/cytoscape.min.js")
async def cytoscape_js(_viewer: Viewer) -> Response:
    """The vendored Cytoscape.js (``filiere/viz/vendor``), served for the result graph."""
    text = (files("filiere.viz") / "vendor" / "cytoscape.min.js").read_text("utf-8")
    headers = {**HEADERS, "Cache-Control": "max-age=86400, private"}
    return Response(text, media_type="text/javascript", headers=headers)


@router.get("/requetes")
async def cypher_page(
    request: Request,
    store: StoreDep,
    settings: ApiSettingsDep,
    _viewer: Viewer,
    requete: Annotated[str | None, Query(max_length=100)] = None,
    texte: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
) -> Response:
    """The library, the editor and, when a query was asked for, its result."""
    queries = [q for q in library() if not q.name.startswith("lookup_")]
    chosen: CypherQuery | None = None
    if requete:
        if not exists(requete):
            raise PageError(404, _("no saved query named {name}").format(name=repr(requete)))
        chosen = load(requete)
    neo4j = store.runs_cypher
    text = chosen.text if chosen else (texte or "").strip()
    params = _form_params(request, chosen) if chosen else {}
    result: CypherResult | None = None
    error = None
    if neo4j and text and (texte is not None or "run" in request.query_params):
        try:
            result = await run_in_threadpool(
                run_readonly,
                store,
                text,
                params,
                timeout_s=settings.cypher_timeout_s,
                limit=settings.cypher_row_limit,
                max_bytes=settings.cypher_max_bytes,
                ids=True,
            )
        except CypherError as e:
            error = str(e) if store.uri not in str(e) else _("Neo4j did not answer.")
    elements = graph_elements(result) if result else []
    context = {
        "queries": queries,
        "chosen": chosen,
        "values": {k[2:]: v for k, v in request.query_params.items() if k.startswith("p.")},
        "texte": texte or "",
        "neo4j": neo4j,
        "result": result,
        "error": error,
        "cell": cell,
        "elements": json_block({"elements": elements}),
        "has_graph": bool(elements),
        "max_query": MAX_QUERY,
    }
    return render(request, "cypher.html", context, status=400 if error else 200)
