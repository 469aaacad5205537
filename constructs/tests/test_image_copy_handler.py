"""The image-copy custom resource's handler against moto's ECR over HTTP.

moto (a real wire-protocol fake) enforces IMMUTABLE tags the way ECR does, so replaying a copy
naively fails there too; it does not serve layer downloads, so its GetDownloadUrlForLayer is
pointed at a local blob server holding the bytes pushed below. A second local server stands in
for CloudFormation's pre-signed response URL and records what the handler reports.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from free_ports import free_port
from moto.ecr import models as ecr_models
from moto.ecr.responses import ECRResponse
from moto.server import ThreadedMotoServer

from agentcore_constructs.image_copy.function import handler as copy_handler

REGION = "eu-west-1"
SOURCE = "cdk-hnb659fds-container-assets-111122223333-eu-west-1"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX = "application/vnd.oci.image.index.v1+json"
PART_SIZE = 1024


class _Recorder(BaseHTTPRequestHandler):
    """Blob downloads (GET /blobs/<digest>) and CloudFormation responses (PUT /response)."""

    blobs: ClassVar[dict[str, bytes]] = {}
    responses: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        body = self.blobs.get(self.path.removeprefix("/blobs/"))
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.responses.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def local_http() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def moto_endpoint(local_http: str) -> Iterator[str]:
    original_download = ECRResponse.get_download_url_for_layer
    original_part_size = ecr_models.DEFAULT_LAYER_PART_SIZE

    def download_url(self: ECRResponse) -> Any:
        from moto.core.responses import ActionResult

        digest = self._get_param("layerDigest")
        return ActionResult({"downloadUrl": f"{local_http}/blobs/{digest}", "layerDigest": digest})

    ECRResponse.get_download_url_for_layer = download_url  # type: ignore[method-assign]
    ecr_models.DEFAULT_LAYER_PART_SIZE = PART_SIZE  # so a few KiB make a multi-part upload
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        ECRResponse.get_download_url_for_layer = original_download  # type: ignore[method-assign]
        ecr_models.DEFAULT_LAYER_PART_SIZE = original_part_size


class CountingEcr:
    """The boto3 client, counting calls per operation (to see what a copy really did)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: dict[str, int] = {}
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def counted(**kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(**kwargs)

        return counted


@pytest.fixture
def ecr(moto_endpoint: str) -> Iterator[Any]:
    client = boto3.client(
        "ecr",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name, mutability in ((SOURCE, "IMMUTABLE"), ("agents", "IMMUTABLE")):
        client.create_repository(repositoryName=name, imageTagMutability=mutability)
    yield client
    for name in (SOURCE, "agents"):
        client.delete_repository(repositoryName=name, force=True)
    _Recorder.responses.clear()


def push_blob(ecr: Any, repo: str, content: bytes) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    _Recorder.blobs[digest] = content
    upload = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repo,
        uploadId=upload,
        partFirstByte=0,
        partLastByte=len(content) - 1,
        layerPartBlob=content,
    )
    ecr.complete_layer_upload(repositoryName=repo, uploadId=upload, layerDigests=[digest])
    return {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "size": len(content),
        "digest": digest,
    }


def push_image(ecr: Any, repo: str, tag: str | None, layers: list[bytes]) -> tuple[str, str]:
    config = push_blob(
        ecr,
        repo,
        json.dumps(
            {
                "architecture": "arm64",
                "layers": [hashlib.sha256(layer).hexdigest() for layer in layers],
            }
        ).encode(),
    )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {**config, "mediaType": "application/vnd.docker.container.image.v1+json"},
            "layers": [push_blob(ecr, repo, layer) for layer in layers],
        }
    )
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    target = {"imageTag": tag} if tag else {}
    ecr.put_image(
        repositoryName=repo,
        imageManifest=manifest,
        imageManifestMediaType=MANIFEST,
        imageDigest=digest,
        **target,
    )
    return manifest, digest


def event(local_http: str, request_type: str, tag: str, physical_id: str | None = None) -> dict:
    found = {
        "RequestType": request_type,
        "ResponseURL": f"{local_http}/response",
        "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1",
        "RequestId": f"req-{request_type}-{tag}",
        "LogicalResourceId": "AgentImageCopy",
        "ResourceProperties": {
            "SourceRepository": SOURCE,
            "SourceTag": tag,
            "DestinationRepository": "agents",
            "DestinationTag": tag,
        },
    }
    if physical_id:
        found["PhysicalResourceId"] = physical_id
    return found


def reply() -> dict[str, Any]:
    return _Recorder.responses[-1]


def test_create_copies_layers_and_tag(ecr, local_http) -> None:
    layers = [b"layer-one" * 500, b"layer-two" * 10]  # the first spans several 1 KiB parts
    _, digest = push_image(ecr, SOURCE, "a" * 64, layers)
    counting = CountingEcr(ecr)
    copy_handler.handler(event(local_http, "Create", "a" * 64), None, ecr=counting)
    assert reply()["Status"] == "SUCCESS", reply()["Reason"]
    assert reply()["Data"] == {"ImageDigest": digest}
    assert reply()["PhysicalResourceId"] == f"agents:{'a' * 64}"
    (image,) = ecr.batch_get_image(repositoryName="agents", imageIds=[{"imageTag": "a" * 64}])[
        "images"
    ]
    assert image["imageId"]["imageDigest"] == digest
    assert counting.calls["upload_layer_part"] > len(layers) + 1, "large blob sent in parts"
    assert counting.calls["complete_layer_upload"] == len(layers) + 1


def test_rollback_replay_of_an_existing_tag_succeeds_without_pushing(ecr, local_http) -> None:
    manifest, digest = push_image(ecr, SOURCE, "b" * 64, [b"base"])
    copy_handler.handler(event(local_http, "Create", "b" * 64), None, ecr=ecr)
    # What a naive copy does on replay, and what IMMUTABLE tags make of it:
    with pytest.raises(ecr.exceptions.ImageAlreadyExistsException):
        ecr.put_image(repositoryName="agents", imageManifest=manifest, imageTag="b" * 64)
    counting = CountingEcr(ecr)
    copy_handler.handler(
        event(local_http, "Update", "b" * 64, f"agents:{'b' * 64}"), None, ecr=counting
    )
    assert reply()["Status"] == "SUCCESS", reply()["Reason"]
    assert reply()["Data"] == {"ImageDigest": digest}
    assert "put_image" not in counting.calls and "initiate_layer_upload" not in counting.calls


def test_update_to_a_new_image_copies_only_missing_layers(ecr, local_http) -> None:
    push_image(ecr, SOURCE, "c" * 64, [b"shared-base", b"app-v1"])
    copy_handler.handler(event(local_http, "Create", "c" * 64), None, ecr=ecr)
    _, digest = push_image(ecr, SOURCE, "d" * 64, [b"shared-base", b"app-v2"])
    counting = CountingEcr(ecr)
    copy_handler.handler(
        event(local_http, "Update", "d" * 64, f"agents:{'c' * 64}"), None, ecr=counting
    )
    assert reply()["Status"] == "SUCCESS", reply()["Reason"]
    assert counting.calls["complete_layer_upload"] == 2, "config and app-v2; shared-base is there"
    tags = {i["imageTag"] for i in ecr.list_images(repositoryName="agents")["imageIds"]}
    assert tags == {"c" * 64, "d" * 64}, "the previous image stays for a rollback"
    assert reply()["Data"] == {"ImageDigest": digest}


def test_a_tag_holding_another_image_fails_clearly(ecr, local_http) -> None:
    push_image(ecr, SOURCE, "e" * 64, [b"wanted"])
    push_image(ecr, "agents", "e" * 64, [b"something else"])
    copy_handler.handler(event(local_http, "Create", "e" * 64), None, ecr=ecr)
    assert reply()["Status"] == "FAILED"
    assert "already holds sha256:" in reply()["Reason"] and "immutable" in reply()["Reason"]


def test_missing_source_fails_clearly(ecr, local_http) -> None:
    copy_handler.handler(event(local_http, "Create", "f" * 64), None, ecr=ecr)
    assert reply()["Status"] == "FAILED"
    assert "was not published" in reply()["Reason"]


def test_an_image_index_is_copied_with_its_children(ecr, local_http) -> None:
    arm_manifest, arm_digest = push_image(ecr, SOURCE, None, [b"arm64 layer"])
    attestation, attestation_digest = push_image(ecr, SOURCE, None, [b"provenance"])
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [
                {
                    "mediaType": MANIFEST,
                    "digest": arm_digest,
                    "size": len(arm_manifest),
                    "platform": {"architecture": "arm64", "os": "linux"},
                },
                {
                    "mediaType": MANIFEST,
                    "digest": attestation_digest,
                    "size": len(attestation),
                    "platform": {"architecture": "unknown", "os": "unknown"},
                },
            ],
        }
    )
    index_digest = "sha256:" + hashlib.sha256(index.encode()).hexdigest()
    ecr.put_image(
        repositoryName=SOURCE,
        imageManifest=index,
        imageManifestMediaType=INDEX,
        imageDigest=index_digest,
        imageTag="9" * 64,
    )
    copy_handler.handler(event(local_http, "Create", "9" * 64), None, ecr=ecr)
    assert reply()["Status"] == "SUCCESS", reply()["Reason"]
    assert reply()["Data"] == {"ImageDigest": index_digest}
    children = ecr.batch_get_image(
        repositoryName="agents",
        imageIds=[{"imageDigest": arm_digest}, {"imageDigest": attestation_digest}],
    )["images"]
    assert len(children) == 2


def test_delete_keeps_the_image(ecr, local_http) -> None:
    push_image(ecr, SOURCE, "7" * 64, [b"kept"])
    copy_handler.handler(event(local_http, "Create", "7" * 64), None, ecr=ecr)
    counting = CountingEcr(ecr)
    copy_handler.handler(
        event(local_http, "Delete", "7" * 64, f"agents:{'7' * 64}"), None, ecr=counting
    )
    assert reply()["Status"] == "SUCCESS" and counting.calls == {}
    assert ecr.list_images(repositoryName="agents")["imageIds"]


def test_a_crash_still_answers_cloudformation(local_http) -> None:
    broken = {**event(local_http, "Create", "8" * 64), "ResourceProperties": {}}
    copy_handler.handler(broken, None, ecr=object())
    assert reply()["Status"] == "FAILED" and "KeyError" in reply()["Reason"]
