"""A real PACS for the tests: Debian's Orthanc (with its DICOMweb plugin) as a plain process
on free loopback ports, configured in a temporary folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
USER, PASSWORD = "dcreview", "test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Orthanc:
    """A running Orthanc: its ports, REST access and the process."""

    dicom_port: int
    http_port: int
    own_port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def rest(self, method: str, path: str, **kw):
        import requests

        r = requests.request(method, self.url + path, auth=(USER, PASSWORD), timeout=30, **kw)
        r.raise_for_status()
        return r.json()


def start_orthanc(folder: Path, tls: tuple[Path, Path] | None = None,
                  **extra: object) -> Orthanc:
    """Start Orthanc configured in ``folder`` (with DICOM TLS: (certificate, key); ``extra``
    configuration keys); skip (visibly) where it is not installed."""
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip("Debian packages orthanc and orthanc-dicomweb are not installed "
                    "(make system-deps as root installs them)")
    dicom, http, own = free_port(), free_port(), free_port()
    config = {
        "Name": "dcreview-test", "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"), "DicomAet": "ORTHANC", "DicomPort": dicom,
        "HttpPort": http, "RemoteAccessAllowed": False, "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD}, "DicomCheckCalledAet": True,
        "Plugins": [str(DICOMWEB_PLUGIN)], "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "DicomModalities": {"dcreview": {"AET": "DCREVIEW", "Host": "127.0.0.1", "Port": own}},
        "StableAge": 1,
    }
    config.update(extra)
    folder.mkdir(parents=True, exist_ok=True)
    if tls is not None:
        config.update({"DicomTlsEnabled": True, "DicomTlsCertificate": str(tls[0]),
                       "DicomTlsPrivateKey": str(tls[1]),
                       "DicomTlsTrustedCertificates": str(tls[0]),
                       "DicomTlsRemoteCertificateRequired": False})
        config["DicomModalities"]["dcreview"]["UseDicomTls"] = True  # C-MOVE to us: TLS too
    cfg = folder / "orthanc.json"
    cfg.write_text(json.dumps(config))
    # Without TCP_NODELAY Debian's DCMTK stalls about 45 ms per instance.
    proc = subprocess.Popen([str(ORTHANC), str(cfg)], env={**os.environ, "TCP_NODELAY": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Orthanc(dicom, http, own, proc)
    for _ in range(200):
        try:
            server.rest("GET", "/system")
            return server
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError("Orthanc exited at start-up") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("Orthanc did not answer within 20 s")


def holding_the_phantom(server: Orthanc, case) -> Orthanc:
    """``server`` emptied, then holding ``case``'s two series (non-contrast, arterial) only."""
    from inference.pacs import dimse
    from inference.pacs.nodes import PacsNode

    for patient in server.rest("GET", "/patients"):
        server.rest("DELETE", f"/patients/{patient}")
    files = sorted(case.noncontrast.glob("*.dcm")) + sorted(case.contrast.glob("*.dcm"))
    assert dimse.store(PacsNode("test", ae_title="ORTHANC", port=server.dicom_port),
                       files) == len(files)
    return server


@pytest.fixture(scope="session")
def orthanc_server(tmp_path_factory):
    """One Orthanc for the whole test session (tests that need another configuration, or
    kill their server, start their own)."""
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture
def fresh_orthanc(orthanc_server, small_case) -> Orthanc:
    """The session's Orthanc holding the small case's two series and nothing else."""
    return holding_the_phantom(orthanc_server, small_case)
