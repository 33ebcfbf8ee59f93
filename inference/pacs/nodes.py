"""PACS nodes: where studies come from and results go back (DIMSE or DICOMweb), in the
per-user settings (`pacs-nodes.json`), each with a name the viewer and `--pacs NAME` use."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from inference import userdirs
from inference.errors import DcreviewError
from inference.files import atomic

NODES_FILE = "pacs-nodes.json"
SCHEME = "pacs://"  # pacs://NODE/STUDY_UID/SERIES_UID, in manifests and on the command line


class PacsError(DcreviewError):
    """A PACS could not be reached, refused, or answered with an error."""


@dataclass
class PacsNode:
    """One PACS: ``kind`` 'dimse' (AE title, host, port) or 'dicomweb' (base URL)."""

    name: str
    kind: str = "dimse"
    ae_title: str = ""
    host: str = "127.0.0.1"
    port: int = 104
    own_ae_title: str = "DCREVIEW"
    retrieve: str = "get"  # C-GET; "move" needs own_storage_port opened to the PACS
    own_storage_port: int = 0
    url: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    bearer_token: str = field(default="", repr=False)
    verify_tls: bool = True
    tls: bool = False  # DICOM TLS (DIMSE over TLS)
    tls_ca: str = ""  # certificate(s) to trust for the PACS (empty: the system's)
    tls_cert: str = ""  # this workstation's certificate, where the PACS requires one
    tls_key: str = ""

    def describe(self) -> str:
        """A one-line description without secrets."""
        if self.kind == "dicomweb":
            return f"{self.name}: DICOMweb {shown_url(self.url)}"
        return f"{self.name}: {self.ae_title}@{self.host}:{self.port} (as {self.own_ae_title})"


def _split_url(url: str):
    from urllib.parse import urlsplit

    try:
        return urlsplit(url)
    except ValueError:
        return None


def shown_url(url: str) -> str:
    """A URL as it may be printed or logged: without any user name or password in it."""
    parts = _split_url(url)
    if parts is None or "@" not in parts.netloc:
        return url if parts is not None else "(an unreadable URL)"
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def normalised(node: PacsNode) -> PacsNode:
    """The node with credentials written into its URL (https://user:pass@host/...) moved to
    its user name and password, so the URL never carries a secret into a message or log."""
    from dataclasses import replace
    from urllib.parse import unquote

    parts = _split_url(node.url)
    if node.kind != "dicomweb" or parts is None or "@" not in parts.netloc:
        return node
    userinfo = parts.netloc.rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    return replace(node, url=shown_url(node.url), username=node.username or unquote(user),
                   password=node.password or unquote(password))


def validate(node: PacsNode) -> None:
    """Raise PacsError with the first thing that makes ``node`` unusable (one rule for the
    CLI and the settings screen)."""
    def bad_ae(title: str) -> bool:
        return not 0 < len(title.strip()) <= 16 or "\\" in title or not title.isprintable()

    if not node.name.strip() or "/" in node.name:
        raise PacsError("a PACS node needs a name (without '/')")
    if node.kind == "dicomweb":
        if not node.url.startswith(("http://", "https://")):
            raise PacsError(f"{node.name}: the DICOMweb base URL must start with http:// or "
                            "https://")
        return
    if node.kind != "dimse":
        raise PacsError(f"{node.name}: kind must be 'dimse' or 'dicomweb', not {node.kind!r}")
    for what, title in (("called AE title", node.ae_title), ("own AE title",
                                                              node.own_ae_title)):
        if bad_ae(title):
            raise PacsError(f"{node.name}: the {what} must be 1-16 printable characters "
                            "without a backslash")
    if not node.host.strip():
        raise PacsError(f"{node.name}: the PACS host is missing")
    if not 0 < node.port < 65536:
        raise PacsError(f"{node.name}: port {node.port} is not a TCP port (1-65535)")
    if node.retrieve == "move" and not 0 < node.own_storage_port < 65536:
        raise PacsError(f"{node.name}: C-MOVE needs this workstation's storage port "
                        "(1-65535), registered at the PACS with the own AE title")
    if node.retrieve not in ("get", "move"):
        raise PacsError(f"{node.name}: retrieve must be 'get' or 'move'")


def nodes_path() -> Path:
    """The per-user file of configured nodes (DCREVIEW_PACS_NODES overrides it)."""
    return userdirs.pacs_nodes_file()


def load_nodes(path: Path | None = None) -> dict[str, PacsNode]:
    """Configured nodes by name (none configured: empty)."""
    path = path or nodes_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {d["name"]: normalised(PacsNode(**d)) for d in data.get("nodes", [])}
    except (ValueError, TypeError, KeyError) as exc:
        raise PacsError(f"the PACS settings {path} cannot be read: {exc}") from exc


def save_nodes(nodes: dict[str, PacsNode], path: Path | None = None) -> Path:
    """Write the nodes (owner-only: it may hold passwords)."""
    path = path or nodes_path()
    return atomic.write_json(path, {"nodes": [asdict(n) for n in nodes.values()]}, indent=2,
                             mode=0o600)


def get_node(name: str, path: Path | None = None) -> PacsNode:
    """A configured node by name, or one readable refusal listing the names there are."""
    nodes = load_nodes(path)
    if name not in nodes:
        known = ", ".join(sorted(nodes)) or "none"
        raise PacsError(f"no PACS node named {name!r} (configured: {known}); add it with "
                        "`dcreview pacs add`")
    return nodes[name]
