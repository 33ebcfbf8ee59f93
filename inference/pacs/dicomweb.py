"""DICOMweb with dicomweb-client: QIDO-RS (studies, series), WADO-RS of a series into the
cache, STOW-RS. Authentication: basic or bearer; TLS verified unless the node says not."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pydicom import dcmread
from pydicom.datadict import dictionary_VR, tag_for_keyword

from inference.pacs import cache
from inference.pacs.dimse import (
    INSTANCE_KEYS,
    SERIES_KEYS,
    STUDY_KEYS,
    counted,
    stopped_sending,
)
from inference.pacs.nodes import PacsError, PacsNode, shown_url
from inference.progress import CancelToken, ProgressEvent

# QIDO puts the search (patient ID, name) in the URL, which these log at DEBUG and INFO.
for _name in ("dicomweb_client", "urllib3.connectionpool"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _session(node: PacsNode):
    import requests

    session = requests.Session()
    if node.username:
        session.auth = (node.username, node.password)
    if node.bearer_token:
        session.headers["Authorization"] = f"Bearer {node.bearer_token}"
    session.verify = node.verify_tls
    return session


def _client(node: PacsNode):
    from dicomweb_client.api import DICOMwebClient

    return DICOMwebClient(url=node.url, session=_session(node))


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
        raise PacsError(f"{node.name}: cannot reach {shown_url(node.url)}") from exc
    except requests.RequestException as exc:  # a broken stream, a length it did not keep
        raise PacsError(f"{node.name}: {what} broke off ({type(exc).__name__})") from exc


# A query's answer is at most this large, decompressed (a gzip bomb or a runaway server
# would otherwise take all the memory there is).
MAX_ANSWER_BYTES = 64 << 20


def _datasets(node: PacsNode, what: str, reply) -> list[dict]:
    """A QIDO answer read within MAX_ANSWER_BYTES: a list of DICOM JSON datasets, or one
    readable refusal of anything else (an error page, malformed or misshapen JSON)."""
    import json

    limit = MAX_ANSWER_BYTES
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PacsError(f"{node.name}: {what} answered {int(declared) / 1e6:.0f} MB, more than "
                        f"the {limit / 1e6:.0f} MB a query may: refused")
    body = bytearray()
    for chunk in reply.iter_content(1 << 16):  # decompressed as it arrives
        body += chunk
        if len(body) > limit:
            raise PacsError(f"{node.name}: {what} answered more than the {limit / 1e6:.0f} "
                            "MB a query may (decompressed): refused")
    if not body.strip():
        return []  # 204: no match
    try:
        data = json.loads(bytes(body))
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "an HTML page" if body.lstrip()[:1] == b"<" else "malformed JSON"
        raise PacsError(f"{node.name}: {what} answered {kind}, not DICOM JSON") from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise PacsError(f"{node.name}: {what} answered JSON of the wrong shape (a list of "
                        "datasets was expected)")
    return data


def ping(node: PacsNode) -> None:
    """A QIDO request ("Test connection"), answered or refused at once: dicomweb-client's own
    retries took 30 s to say that nothing listens."""
    def request() -> None:
        reply = _session(node).get(f"{node.url.rstrip('/')}/studies?limit=1",
                                   headers={"Accept": "application/dicom+json"}, timeout=30)
        reply.raise_for_status()

    _call(node, "the connection test", request)


def _tags(keys: tuple[str, ...]) -> dict[str, str]:
    """Keyword -> the DICOM JSON tag QIDO answers with."""
    return {k: f"{tag_for_keyword(k):08X}" for k in keys}


# The keys C-FIND asks for, so that both kinds of node answer alike.
STUDY_TAGS = _tags(STUDY_KEYS)
SERIES_TAGS = _tags(SERIES_KEYS)
INSTANCE_TAGS = _tags(INSTANCE_KEYS)


def _values(ds: dict, tag: str) -> str:
    """All values of a QIDO JSON attribute, backslash-joined as in DIMSE."""
    attribute = ds.get(tag)
    values = attribute.get("Value", []) if isinstance(attribute, dict) else []
    if not isinstance(values, list):
        values = []  # a server's misshapen attribute reads as empty, never as a traceback
    return "\\".join(str(v.get("Alphabetic", "") if isinstance(v, dict) else v)
                      for v in values)


def query_string(filters: dict[str, str], fields: list[str]) -> str:
    """A QIDO query string; wildcards ``*`` and ``?`` stay as typed (Orthanc does not decode
    %2A, so ``DOE*`` would otherwise find nothing)."""
    from urllib.parse import quote

    pairs = [f"{quote(k)}={quote(_wire_value(k, str(v)), safe='*?')}"
             for k, v in filters.items()]
    pairs += [f"includefield={quote(f)}" for f in fields]
    return "&".join(pairs)


def _wire_value(keyword: str, value: str) -> str:
    """A name's ``^`` (the PN component separator) goes as the one-character wildcard ``?``,
    which matches it everywhere: urllib3 always sends ``^`` as %5E, and Orthanc does not
    decode that, so ``DOE^JOHN`` found nothing."""
    tag = tag_for_keyword(keyword)
    return value.replace("^", "?") if tag is not None and dictionary_VR(tag) == "PN" else value


# QIDO answers a page at a time where the server caps results (cloud archives: 100 unless a
# limit is asked for), so searches ask page by page until a page comes back short.
PAGE = 100


def _search(node: PacsNode, what: str, path: str, filters: dict[str, str],
            tags: dict[str, str], uid: str, page: int = PAGE) -> list[dict]:
    """Every match of a QIDO search, with the same keys as a C-FIND."""
    session = _session(node)
    base = (f"{node.url.rstrip('/')}/{path}?"
            + query_string(filters, [k for k in tags if k not in filters]))

    def request(offset: int) -> list:
        reply = session.get(f"{base}&limit={page}&offset={offset}",
                            headers={"Accept": "application/dicom+json"}, timeout=30,
                            stream=True)
        try:
            reply.raise_for_status()
            return _datasets(node, what, reply)
        finally:
            reply.close()

    found: dict[str, dict] = {}
    offset = 0
    while True:
        answer = _call(node, what, lambda at=offset: request(at))
        offset += len(answer)
        before = len(found)
        for ds in answer:
            row = {key: _values(ds, tag) for key, tag in tags.items()}
            found.setdefault(row[uid], row)
        # a server that ignores offset repeats its first page: stop rather than loop
        if len(answer) < page or len(found) == before:
            return list(found.values())


def find_studies(node: PacsNode, page: int = PAGE, **filters: str) -> list[dict]:
    """Studies matching DIMSE-named filters (QIDO-RS), with the same keys as a C-FIND."""
    return _search(node, "the study query", "studies", filters, STUDY_TAGS,
                   "StudyInstanceUID", page)


def find_series(node: PacsNode, study_uid: str, page: int = PAGE) -> list[dict]:
    """The study's series (QIDO-RS), with the same keys as a C-FIND."""
    return _search(node, "the series query", f"studies/{study_uid}/series", {}, SERIES_TAGS,
                   "SeriesInstanceUID", page)


def find_instances(node: PacsNode, study_uid: str, series_uid: str,
                   page: int = PAGE) -> list[dict]:
    """The series' instances (QIDO-RS), with the same keys as a C-FIND at IMAGE level."""
    return _search(node, "the instance query",
                   f"studies/{study_uid}/series/{series_uid}/instances", {}, INSTANCE_TAGS,
                   "SOPInstanceUID", page)


def count_instances(node: PacsNode, study_uid: str, series_uid: str) -> int:
    """How many instances the PACS says the series holds (QIDO: series, else instances)."""
    row = next((r for r in find_series(node, study_uid)
                if r["SeriesInstanceUID"] == series_uid), None)
    return counted(node, row, lambda: find_instances(node, study_uid, series_uid))


def _parts(chunks: Iterable[bytes], boundary: bytes) -> Iterator[bytes]:
    """The bodies of a multipart/related stream, each as soon as its closing delimiter
    arrives; a stream that ends before the final delimiter raises PacsError."""
    delimiter = b"\r\n--" + boundary
    buffer = bytearray(b"\r\n")  # so that the first boundary matches the delimiter too
    inside, start = False, 0
    for chunk in chunks:
        buffer += chunk
        while True:
            found = buffer.find(delimiter, start)
            if found < 0:
                start = max(0, len(buffer) - len(delimiter))
                break
            after = found + len(delimiter)
            if len(buffer) < after + 2:
                start = found
                break
            if inside:
                head_end = buffer.find(b"\r\n\r\n", 0, found)
                yield bytes(buffer[head_end + 4 if head_end >= 0 else 0:found])
            if buffer[after:after + 2] == b"--":
                return
            line_end = buffer.find(b"\r\n", after)
            if line_end < 0:
                start = found
                break
            del buffer[:line_end + 2]
            inside, start = True, 0
    raise PacsError("the series arrived incomplete (the reply ended early); nothing was kept")


def get_series(node: PacsNode, study_uid: str, series_uid: str, *,
               expected: int | None = None,
               progress: Callable[[ProgressEvent], None] | None = None,
               cancel: CancelToken | None = None, cache_root: Path | None = None) -> Path:
    """WADO-RS one series into the cache; returns its folder, complete, or raises PacsError.

    Each part is a Part 10 file in the PACS's own transfer syntax, written as it arrives:
    parsing each with pydicom and saving it again doubled the time."""
    import requests

    url = f"{node.url.rstrip('/')}/studies/{study_uid}/series/{series_uid}"
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'

    def request():
        reply = _session(node).get(url, headers={"Accept": accept}, stream=True, timeout=30)
        reply.raise_for_status()
        return reply

    if expected is None:  # WADO-RS announces no count: the query says how many to expect
        expected = count_instances(node, study_uid, series_uid)

    def write(partial: Path) -> None:
        receiver = cache.Receiver(partial, series_uid, expected, progress)
        reply = _call(node, "the retrieval", request)
        ctype = reply.headers.get("Content-Type", "")
        boundary = next((p.split("=", 1)[1].strip().strip('"') for p in ctype.split(";")
                         if p.strip().lower().startswith("boundary=")), None)
        if not boundary:
            reply.close()
            raise PacsError(f"{node.name}: the retrieval reply is not multipart ({ctype})")
        try:
            for body in _parts(reply.iter_content(1 << 20), boundary.encode()):
                receiver.write([body])
                if cancel is not None:
                    cancel.raise_if_cancelled()
        except requests.RequestException as exc:
            raise PacsError(f"{node.name} stopped answering during the retrieval") from exc
        except PacsError as exc:
            raise PacsError(f"{node.name}: {exc}") from exc
        finally:
            reply.close()
        if receiver.count == 0:
            raise PacsError(f"{node.name}: the series has no instances there")
        receiver.check(node, 0x0000, 0)

    return cache.fill(series_uid, cache_root, write)


def store(node: PacsNode, files: list[Path],
          progress: Callable[[ProgressEvent], None] | None = None,
          cancel: CancelToken | None = None, batch: int = 16) -> int:
    """STOW-RS in requests of ``batch`` instances; returns the number stored, or raises
    PacsError naming the failures."""
    client = _client(node)
    stored = 0
    for start in range(0, len(files), batch):
        datasets = [dcmread(f) for f in files[start:start + batch]]
        reply = _call(node, "the upload", lambda d=datasets: client.store_instances(d))
        failed = reply.get("FailedSOPSequence") if reply is not None else None
        if failed:  # Orthanc always sends the (empty) sequence: only its length matters
            raise PacsError(f"{node.name} refused {len(failed)} of {len(files)} instance(s) "
                            f"({stored} stored before)")
        stored += len(datasets)
        if progress:
            progress(ProgressEvent("Sending to PACS", stored, len(files)))
        if cancel is not None and cancel.cancelled and stored < len(files):
            raise PacsError(stopped_sending(node, stored, len(files)))
    return stored
