"""DICOMweb with dicomweb-client: QIDO-RS (studies, series), WADO-RS of a series into the
cache, STOW-RS. Authentication: basic or bearer; TLS verified unless the node says not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydicom import dcmread

from inference.pacs import cache
from inference.pacs.nodes import PacsError, PacsNode
from inference.progress import CancelToken, ProgressEvent


def _client(node: PacsNode):
    import requests
    from dicomweb_client.api import DICOMwebClient

    session = requests.Session()
    if node.username:
        session.auth = (node.username, node.password)
    if node.bearer_token:
        session.headers["Authorization"] = f"Bearer {node.bearer_token}"
    session.verify = node.verify_tls
    return DICOMwebClient(url=node.url, session=session)


def _call(node: PacsNode, what: str, fn):
    """Run a DICOMweb call; HTTP and connection errors become one readable PacsError."""
    import requests

    try:
        return fn()
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        hint = {401: "wrong user name or password", 403: "not allowed for this user",
                404: "not found (check the base URL)"}.get(code, "")
        raise PacsError(f"{node.name}: {what} failed with HTTP {code}"
                        + (f" ({hint})" if hint else "")) from exc
    except requests.ConnectionError as exc:
        raise PacsError(f"{node.name}: cannot reach {node.url}") from exc


def _value(ds: dict, tag: str) -> str:
    item = ds.get(tag, {}).get("Value", [""])[0]
    return str(item.get("Alphabetic", "") if isinstance(item, dict) else item)


def ping(node: PacsNode) -> None:
    """A QIDO request ("Test connection")."""
    _call(node, "the connection test", lambda: _client(node).search_for_studies(limit=1))


def find_series(node: PacsNode, study_uid: str) -> list[dict]:
    """The study's series (QIDO-RS)."""
    found = _call(node, "the series query",
                  lambda: _client(node).search_for_series(study_instance_uid=study_uid))
    return [{"SeriesInstanceUID": _value(s, "0020000E"), "SeriesDescription": _value(
        s, "0008103E"), "Modality": _value(s, "00080060"), "NumberOfSeriesRelatedInstances":
        _value(s, "00201209")} for s in found]


def get_series(node: PacsNode, study_uid: str, series_uid: str, *,
               progress: Callable[[ProgressEvent], None] | None = None,
               cancel: CancelToken | None = None, cache_root: Path | None = None) -> Path:
    """WADO-RS one series into the cache; returns its folder, complete, or raises PacsError."""
    partial = cache.partial_dir(series_uid, cache_root)
    try:
        client = _client(node)
        n = 0
        for ds in _call(node, "the retrieval", lambda: client.iter_series(
                study_instance_uid=study_uid, series_instance_uid=series_uid)):
            ds.save_as(partial / f"{n:06d}.dcm", enforce_file_format=True)
            n += 1
            if progress:
                progress(ProgressEvent("Retrieving from PACS", n, 0))
            if cancel is not None:
                cancel.raise_if_cancelled()
        if n == 0:
            raise PacsError(f"{node.name}: the series has no instances there")
    except BaseException:
        cache.discard(partial)
        raise
    return cache.commit(partial, series_uid, cache_root)


def store(node: PacsNode, files: list[Path]) -> int:
    """STOW-RS; returns the number stored, or raises PacsError naming the failures."""
    datasets = [dcmread(f) for f in files]
    reply = _call(node, "the upload", lambda: _client(node).store_instances(datasets))
    failed = reply.get("FailedSOPSequence") if reply is not None else None
    if failed:  # Orthanc always sends the (empty) sequence: only its length matters
        raise PacsError(f"{node.name} refused {len(failed)} of {len(datasets)} instance(s)")
    return len(datasets)
