"""A TEST DOUBLE in front of moto: the service's published request constraints, enforced.

moto speaks bedrock-agentcore's wire protocol but checks none of the limits the service model
publishes (string lengths and patterns, list and map sizes, required members), so a request
the real service refuses would pass against moto alone. This gate routes each REST-JSON
request to its operation with botocore's own service model, checks every member the way the
service does, answers ``ValidationException`` (400) naming the member, and forwards whatever
passes to moto unchanged. ``refused`` lists what it turned away, ``operations`` what it saw.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
import httpx
from botocore.model import OperationModel, Shape
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

URI_VARIABLE = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass
class _Route:
    method: str
    path: re.Pattern[str]
    operation: OperationModel


@dataclass
class ModelGate:
    """An ASGI app: ``service``'s constraints checked, then the request sent to ``upstream``."""

    service: str
    upstream: str
    refused: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        model = botocore.session.get_session().get_service_model(self.service)
        self._routes = []
        for name in model.operation_names:
            operation = model.operation_model(name)
            uri = operation.http["requestUri"].split("?", 1)[0]
            regex = URI_VARIABLE.sub(
                lambda m: f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)",
                re.escape(uri).replace(r"\{", "{").replace(r"\}", "}"),
            )
            self._routes.append(
                _Route(operation.http["method"], re.compile(f"^{regex}$"), operation)
            )
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=30)

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        found = self._route(request.method, request.url.path)
        if found is not None:
            route, path_params = found
            self.operations.append(route.operation.name)
            problem = _request_problem(route.operation, path_params, request, body)
            if problem is not None:
                self.refused.append(f"{route.operation.name}: {problem}")
                response: Response = JSONResponse(
                    {"message": problem},
                    400,
                    headers={"x-amzn-ErrorType": "ValidationException"},
                )
                await response(scope, receive, send)
                return
        upstream = await self._client.request(
            request.method,
            request.url.path,
            params=request.query_params.multi_items(),
            content=body,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        response = Response(
            upstream.content,
            upstream.status_code,
            headers={
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
            },
        )
        await response(scope, receive, send)

    def _route(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method == method and (match := route.path.match(path)):
                return route, {k: unquote(v) for k, v in match.groupdict().items()}
        return None


def _request_problem(
    operation: OperationModel, path_params: dict[str, str], request: Request, body: bytes
) -> str | None:
    shape = operation.input_shape
    if shape is None:
        return None
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return "the body is not JSON"
    query = dict(parse_qsl(request.url.query))
    values: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            value = path_params.get(wire)
        elif location == "querystring":
            value = query.get(wire)
        elif location == "header":
            value = request.headers.get(wire)
        else:
            value = document.get(name)
        if value is not None:
            values[name] = _typed(member, value)
    return _problem(shape, values, operation.name)


def _typed(shape: Shape, value: Any) -> Any:
    """Query-string and header values arrive as text; numbers compare as numbers."""
    if shape.type_name in ("integer", "long") and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _problem(shape: Shape, value: Any, where: str) -> str | None:
    """The first constraint ``value`` breaks, as the service would name it."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"{where}: must be an object"
        for name in shape.required_members:
            if name not in value:
                return f"{where}.{name}: is required"
        for name, member in shape.members.items():
            if name in value and (found := _problem(member, value[name], f"{where}.{name}")):
                return found
        return None
    if kind == "string":
        if not isinstance(value, str):
            return f"{where}: must be a string"
        if "min" in meta and len(value) < meta["min"]:
            return f"{where}: length {len(value)} is under the minimum {meta['min']}"
        if "max" in meta and len(value) > meta["max"]:
            return f"{where}: length {len(value)} is over the maximum {meta['max']}"
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            return f"{where}: does not match {meta['pattern']}"
        if shape.enum and value not in shape.enum:
            return f"{where}: must be one of {', '.join(shape.enum)}"
        return None
    if kind in ("list", "map"):
        size = len(value) if isinstance(value, list | dict) else -1
        if "min" in meta and size < meta["min"]:
            return f"{where}: {size} items, under the minimum {meta['min']}"
        if "max" in meta and size > meta["max"]:
            return f"{where}: {size} items, over the maximum {meta['max']}"
        if kind == "list" and isinstance(value, list):
            for index, item in enumerate(value):
                if found := _problem(shape.member, item, f"{where}[{index}]"):
                    return found
        return None
    if kind in ("integer", "long") and isinstance(value, int):
        if "min" in meta and value < meta["min"]:
            return f"{where}: {value} is under the minimum {meta['min']}"
        if "max" in meta and value > meta["max"]:
            return f"{where}: {value} is over the maximum {meta['max']}"
    return None
