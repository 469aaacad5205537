"""Copy a container image between two ECR repositories of one registry (custom resource).

CloudFormation calls this on Create and Update (and on the Update of a rollback, with the old
properties); Delete leaves the image where it is. The copy is idempotent: a destination tag
that already holds the source image succeeds without pushing, because an IMMUTABLE repository
refuses any push to an existing tag, even of the same image (``ImageTagAlreadyExistsException``).
A destination tag holding a *different* image fails with a message that says so.

Only the ECR API is used (no registry login, no Docker): blobs the destination lacks are
streamed from their pre-signed download URL into a layer upload, then the manifest is put.
Needs nothing beyond the Lambda Python runtime (boto3 and the standard library).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

MANIFEST_MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
]
INDEX_MEDIA_TYPES = {
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
}
DOWNLOAD_TIMEOUT_SECONDS = 60


class ImageCopyError(RuntimeError):
    """The copy cannot be done; the message tells the operator why and what to do."""


class EcrImageCopier:
    """Copies images with an ECR client; the client is injected so tests use any endpoint."""

    def __init__(self, ecr: Any) -> None:
        self._ecr = ecr

    def copy(self, source_repo: str, source_tag: str, dest_repo: str, dest_tag: str) -> str:
        """Make ``dest_repo:dest_tag`` the image at ``source_repo:source_tag``; its digest."""
        source = self._manifest(source_repo, {"imageTag": source_tag})
        if source is None:
            raise ImageCopyError(
                f"{source_repo}:{source_tag} does not exist: the asset was not published"
            )
        existing = self._manifest(dest_repo, {"imageTag": dest_tag})
        if existing is not None:
            if existing["digest"] != source["digest"]:
                raise ImageCopyError(
                    f"{dest_repo}:{dest_tag} already holds {existing['digest']}, not "
                    f"{source['digest']}; tags here are immutable, so remove that image by hand"
                )
            LOGGER.info("%s:%s already holds %s", dest_repo, dest_tag, source["digest"])
            return source["digest"]
        if source["mediaType"] in INDEX_MEDIA_TYPES:
            # A multi-platform index (or one with build attestations): each child first.
            for child in json.loads(source["manifest"]).get("manifests", []):
                child_image = self._manifest(source_repo, {"imageDigest": child["digest"]})
                if child_image is None:
                    raise ImageCopyError(f"{source_repo}@{child['digest']} is missing")
                self._copy_blobs_of(source_repo, dest_repo, child_image)
                self._put(dest_repo, child_image, tag=None)
        else:
            self._copy_blobs_of(source_repo, dest_repo, source)
        self._put(dest_repo, source, dest_tag)
        LOGGER.info("copied %s to %s:%s", source["digest"], dest_repo, dest_tag)
        return source["digest"]

    def _manifest(self, repo: str, image_id: dict[str, str]) -> dict[str, str] | None:
        found = self._ecr.batch_get_image(
            repositoryName=repo, imageIds=[image_id], acceptedMediaTypes=MANIFEST_MEDIA_TYPES
        )["images"]
        if not found:
            return None
        image = found[0]
        manifest = image["imageManifest"]
        media_type = image.get("imageManifestMediaType") or json.loads(manifest).get("mediaType")
        return {
            "manifest": manifest,
            "mediaType": media_type,
            "digest": image["imageId"]["imageDigest"],
        }

    def _copy_blobs_of(self, source_repo: str, dest_repo: str, image: dict[str, str]) -> None:
        """The config and layers of one image manifest that the destination lacks."""
        manifest = json.loads(image["manifest"])
        digests = [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]
        checked = self._ecr.batch_check_layer_availability(
            repositoryName=dest_repo, layerDigests=list(dict.fromkeys(digests))
        )
        present = {
            layer["layerDigest"]
            for layer in checked.get("layers", [])
            if layer.get("layerAvailability") == "AVAILABLE"
        }
        for digest in dict.fromkeys(digests):
            if digest not in present:
                self._copy_blob(source_repo, dest_repo, digest)

    def _copy_blob(self, source_repo: str, dest_repo: str, digest: str) -> None:
        url = self._ecr.get_download_url_for_layer(repositoryName=source_repo, layerDigest=digest)[
            "downloadUrl"
        ]
        upload = self._ecr.initiate_layer_upload(repositoryName=dest_repo)
        upload_id, part_size = upload["uploadId"], upload["partSize"]
        offset = 0
        for part in _download(url, part_size):
            self._ecr.upload_layer_part(
                repositoryName=dest_repo,
                uploadId=upload_id,
                partFirstByte=offset,
                partLastByte=offset + len(part) - 1,
                layerPartBlob=part,
            )
            offset += len(part)
        done = self._ecr.complete_layer_upload(
            repositoryName=dest_repo, uploadId=upload_id, layerDigests=[digest]
        )
        if done["layerDigest"] != digest:
            raise ImageCopyError(f"blob {digest} arrived as {done['layerDigest']}")

    def _put(self, dest_repo: str, image: dict[str, str], tag: str | None) -> None:
        target = {"imageTag": tag} if tag else {}
        try:
            self._ecr.put_image(
                repositoryName=dest_repo,
                imageManifest=image["manifest"],
                imageManifestMediaType=image["mediaType"],
                imageDigest=image["digest"],
                **target,
            )
        except self._ecr.exceptions.ImageAlreadyExistsException:
            if tag:  # a concurrent copy of the same image finished first
                LOGGER.info("%s:%s appeared while copying", dest_repo, tag)


def _download(url: str, part_size: int) -> Iterator[bytes]:
    """Stream a blob from its pre-signed URL in upload-sized parts."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
        while part := response.read(part_size):
            yield part


def send_response(
    event: dict[str, Any], status: str, reason: str, physical_id: str, data: dict
) -> None:
    """The custom-resource reply: a PUT of JSON to CloudFormation's pre-signed URL."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:3000],
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as reply:
        reply.read()


def handler(event: dict[str, Any], context: Any, ecr: Any = None) -> None:
    """Lambda entry point; always answers CloudFormation, so a failure never hangs the stack."""
    props = event.get("ResourceProperties", {})
    destination = f"{props.get('DestinationRepository')}:{props.get('DestinationTag')}"
    physical_id = event.get("PhysicalResourceId") or destination
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            copier = EcrImageCopier(ecr or boto3.client("ecr"))
            digest = copier.copy(
                props["SourceRepository"],
                props["SourceTag"],
                props["DestinationRepository"],
                props["DestinationTag"],
            )
            data = {"ImageDigest": digest}
    except Exception as error:  # reported to CloudFormation, which fails the deploy clearly
        LOGGER.exception("image copy failed")
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    send_response(event, status, reason, physical_id, data)
