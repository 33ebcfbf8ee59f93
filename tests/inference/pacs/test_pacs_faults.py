"""A PACS whose answers are short, malformed or hostile never gets a series cached as whole:
a real HTTP server on loopback answers QIDO and WADO-RS the way faulty archives do."""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path

import pydicom
import pytest

from inference.cli import main
from inference.files import atomic
from inference.files.owned import mark_owned
from inference.pacs import cache, client
from inference.pacs.nodes import PacsError, PacsNode

STUDY = "1.2.826.0.1.3680043.8.498.1"


class FaultyArchive(http.server.ThreadingHTTPServer):
    """QIDO says how many instances a series holds; WADO-RS sends what ``mode`` says."""

    mode = "whole"
    announce = True
    series_uid = ""
    instances: tuple[bytes, ...] = ()


class Handler(http.server.BaseHTTPRequestHandler):
    server: FaultyArchive

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        s = self.server
        path = self.path.split("?")[0]
        if path.endswith("/series"):
            row = {"0020000E": {"vr": "UI", "Value": [s.series_uid]},
                   "00080060": {"vr": "CS", "Value": ["CT"]}}
            if s.announce:
                row["00201209"] = {"vr": "IS", "Value": [len(s.instances)]}
            self._send(200, json.dumps([row]).encode(), "application/dicom+json")
            return
        if path.endswith("/instances"):
            rows = [{"00080018": {"vr": "UI", "Value": [f"1.2.3.{n}"]}}
                    for n in range(len(s.instances))]
            self._send(200, json.dumps(rows).encode(), "application/dicom+json")
            return
        parts = {"whole": s.instances, "short": s.instances[:3],
                 "html": [b"<html><body>Login required</body></html>"] * len(s.instances),
                 "cut": [*s.instances[:-1], s.instances[-1][:len(s.instances[-1]) // 2]],
                 "twice": [*s.instances[:-1], s.instances[0]],
                 }[s.mode]
        body = b"".join(b"--BND\r\nContent-Type: application/dicom\r\n\r\n" + p + b"\r\n"
                        for p in parts) + b"--BND--\r\n"
        self._send(200, body, 'multipart/related; type="application/dicom"; boundary=BND')


@pytest.fixture(scope="module")
def archive(small_case):
    server = FaultyArchive(("127.0.0.1", 0), Handler)
    files = sorted(small_case.noncontrast.glob("*.dcm"))[:24]
    server.instances = tuple(f.read_bytes() for f in files)
    server.series_uid = str(pydicom.dcmread(files[0]).SeriesInstanceUID)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def node(archive) -> PacsNode:
    return PacsNode("faulty", kind="dicomweb",
                    url=f"http://127.0.0.1:{archive.server_address[1]}/dicom-web")


@pytest.mark.parametrize("mode, announce, reason", [
    ("short", True, r"arrived incomplete \(3 of 24"),
    ("short", False, r"arrived incomplete \(3 of 24"),  # counted by an instance query
    ("html", True, "instance 1 is not a DICOM file"),
    ("cut", True, "instance 24 is cut short"),
    ("twice", True, "instance 24 arrived twice"),
])
def test_a_short_or_malformed_answer_is_never_cached_as_complete(archive, tmp_path, mode,
                                                                 announce, reason):
    archive.mode, archive.announce = mode, announce
    root = tmp_path / "cache"
    with pytest.raises(PacsError, match=reason):
        client.retrieve(node(archive), STUDY, archive.series_uid, cache_root=root)
    assert not root.exists() or not any(root.iterdir())  # nothing kept
    archive.mode = "whole"
    folder = client.retrieve(node(archive), STUDY, archive.series_uid, cache_root=root)
    assert len(cache.instances(folder)) == 24


def test_a_series_that_is_not_a_uid_is_refused_before_any_request(archive, tmp_path, capsys,
                                                                  monkeypatch):
    archive.mode = "whole"
    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    assert main(["pacs", "add", "faulty", "--dicomweb", node(archive).url]) == 0
    for bad in ("..", "../..", "1.2.*", "/etc/passwd"):
        assert main(["pacs", "get", "faulty", "--study", STUDY, "--series", bad]) == 2
        assert "is not a DICOM UID" in capsys.readouterr().err
        with pytest.raises(PacsError, match=r"is not a DICOM UID|write pacs://NODE"):
            client.resolve(f"pacs://faulty/{STUDY}/{bad}", {"faulty": node(archive)})


def test_partial_folders_of_killed_retrievals_are_swept(archive, tmp_path):
    import subprocess

    archive.mode = "whole"
    root = tmp_path / "cache"
    root.mkdir()
    proc = subprocess.Popen(["true"])
    proc.wait()
    host = atomic._writer_tag().rpartition("-")[0]
    stale = root / f".{cache.series_dir(archive.series_uid, root).name}.{host}-{proc.pid}." \
                   "0123456789ab.partial"
    stale.mkdir()
    mark_owned(stale)
    (stale / "000000.dcm").write_bytes(archive.instances[0])
    client.retrieve(node(archive), STUDY, archive.series_uid, cache_root=root)
    assert not stale.exists()
    assert [p.name for p in root.iterdir() if p.name.endswith(".partial")] == []


def test_a_password_in_a_dicomweb_url_is_never_printed(tmp_path, capsys, monkeypatch):
    from tests.support.orthanc import free_port

    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    port = free_port()  # nothing listens there
    url = f"http://radiology:s3cr3t-Pa55@127.0.0.1:{port}/dicom-web"
    assert main(["pacs", "add", "web", "--dicomweb", url]) == 0
    assert main(["pacs", "list"]) == 0
    assert main(["pacs", "echo", "web"]) == 2
    out, err = capsys.readouterr()
    assert "s3cr3t" not in out + err and f"cannot reach http://127.0.0.1:{port}/dicom-web" in err
    saved = json.loads(Path(tmp_path / "nodes.json").read_text())["nodes"][0]
    assert saved["url"] == f"http://127.0.0.1:{port}/dicom-web"
    assert (saved["username"], saved["password"]) == ("radiology", "s3cr3t-Pa55")
    assert (tmp_path / "nodes.json").stat().st_mode & 0o077 == 0  # owner-only


class BrokenQido(http.server.ThreadingHTTPServer):
    mode = "html"


class QidoHandler(http.server.BaseHTTPRequestHandler):
    server: BrokenQido

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        import gzip

        mode = self.server.mode
        headers = {"Content-Type": "application/dicom+json"}
        body = {"malformed": b'[{"0020000D": {"vr": "UI", "Value": ["1.2', "html":
                b"<html><body>502 Bad Gateway</body></html>", "number": b"42",
                "string": b'"no studies"', "dataset-of-strings": b'[{"0020000D": "1.2.3"}]',
                "huge-length": b"[]", "big": b"[" + b'{"00100020": {"vr": "LO"}},' * 60_000
                + b"{}]", "gzip-bomb": gzip.compress(b"[" + b" " * 20_000_000 + b"]")}[mode]
        if mode == "gzip-bomb":
            headers["Content-Encoding"] = "gzip"
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(10**10 if mode == "huge-length" else len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("mode, reason", [
    ("malformed", "answered malformed JSON"), ("html", "answered an HTML page"),
    ("number", "JSON of the wrong shape"), ("string", "JSON of the wrong shape"),
    ("huge-length", "more than the"), ("big", "more than the 1 MB"),
    ("gzip-bomb", "(decompressed)"),
])
def test_a_broken_query_answer_is_one_readable_line(mode, reason, monkeypatch):
    from inference.pacs import dicomweb

    monkeypatch.setattr(dicomweb, "MAX_ANSWER_BYTES", 1 << 20)
    server = BrokenQido(("127.0.0.1", 0), QidoHandler)
    server.mode = mode
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        web = PacsNode("broken", kind="dicomweb",
                       url=f"http://127.0.0.1:{server.server_address[1]}/dicom-web")
        with pytest.raises(PacsError, match=re.escape(reason)):
            dicomweb.find_studies(web, PatientID="X")
    finally:
        server.shutdown()


def test_a_misshapen_dataset_reads_as_empty(monkeypatch):
    from inference.pacs import dicomweb

    server = BrokenQido(("127.0.0.1", 0), QidoHandler)
    server.mode = "dataset-of-strings"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        web = PacsNode("broken", kind="dicomweb",
                       url=f"http://127.0.0.1:{server.server_address[1]}/dicom-web")
        assert dicomweb.find_studies(web)[0]["StudyInstanceUID"] == ""
    finally:
        server.shutdown()
