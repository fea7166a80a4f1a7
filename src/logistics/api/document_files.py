"""HTTP endpoints for compliance document files: a streamed upload and a download."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict

from logistics.api.convert_records import document_to_proto
from logistics.api.edge import current_caller
from logistics.api.rest import Request, Response, Route, route
from logistics.domain.errors import InvalidArgument
from logistics.domain.names import DOCUMENTS
from logistics.services.compliance import ComplianceService, DocumentRef

_DOCUMENT = "/v1/tenants/{tenant}/riders/{rider}/documents/{document}"


def _ref(request: Request) -> DocumentRef:
    p = request.params
    name = DOCUMENTS.parse(f"tenants/{p['tenant']}/riders/{p['rider']}/documents/{p['document']}")
    return DocumentRef(name.parent.tenant, name.parent.id, name.id)


def document_file_routes(compliance: ComplianceService, max_bytes: int) -> list[Route]:
    async def upload(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise InvalidArgument.field("file", f"is larger than the {max_bytes} byte limit")
        ref = _ref(request)
        document = await compliance.upload_file(current_caller(), ref, request.body())
        return Response.json(MessageToDict(document_to_proto(ref.tenant, document)))

    async def download(request: Request) -> Response:
        document, content = await compliance.open_file(current_caller(), _ref(request))
        headers = [("content-length", str(document.file_size))]
        if document.file_sha256:
            headers.append(("x-content-sha256", document.file_sha256))
        return Response(
            200, document.content_type or "application/octet-stream", content, tuple(headers)
        )

    return [
        route("POST", f"{_DOCUMENT}:upload", "POST documents:upload", upload),
        route("GET", f"{_DOCUMENT}:download", "GET documents:download", download),
    ]
