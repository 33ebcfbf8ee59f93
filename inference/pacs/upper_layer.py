"""The DICOM upper layer on a lean path: PDUs on a socket, DIMSE command sets, and C-STORE
sub-operations written as received behind a Part 10 header.

pynetdicom hands every P-DATA PDU through its state machine, event triggers and three thread
queues: about 0.3 ms of Python per 16 kB PDU, four to six times dcmtk on a 512x512 series.
Associations are still negotiated with pynetdicom's PDU codecs (``retrieval``, ``storescp``); the
data stream is read here in one loop that only splits PDVs, answers each C-STORE and writes the
bytes: never decoded, never re-encoded.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from io import BufferedReader

from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

from inference.pacs.nodes import PacsError

# Announced to peers; a PDU claiming more than twice this is a protocol error, not an
# allocation the peer may choose.
MAX_PDU = 4 * 1024 * 1024
IMPLEMENTATION_VERSION = "DCREVIEW"
C_STORE_RQ, C_STORE_RSP, C_GET_RQ, C_GET_RSP = 0x0001, 0x8001, 0x0010, 0x8010
NO_DATASET = 0x0101
PENDING = (0xFF00, 0xFF01)


def _element(tag: int, value: bytes | int, vr: str = "") -> bytes:
    """One implicit-VR little-endian command element (US, UL or an even-padded string)."""
    if isinstance(value, int):
        value = struct.pack("<I" if vr == "UL" else "<H", value)
    elif len(value) % 2:
        value += b"\0"
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def command(**fields: bytes | int) -> bytes:
    """A DIMSE command set; keys name the (0000,xxxx) elements used here."""
    tags = {"sop_class": 0x0002, "field": 0x0100, "message_id": 0x0110, "responding_to": 0x0120,
            "move_destination": 0x0600, "priority": 0x0700, "dataset_type": 0x0800,
            "status": 0x0900, "sop_instance": 0x1000}
    body = b"".join(_element(tags[k], v) for k, v in sorted(fields.items(),
                                                             key=lambda kv: tags[kv[0]]))
    return _element(0x0000_0000, len(body), "UL") + body


def parse_command(data: bytes) -> dict[int, bytes]:
    """Element number -> raw value of a command set (all in group 0000)."""
    out, offset = {}, 0
    while offset + 8 <= len(data):
        _group, elem, length = struct.unpack_from("<HHI", data, offset)
        out[elem] = bytes(data[offset + 8:offset + 8 + length])
        offset += 8 + length
    return out


def us(cmd: dict[int, bytes], elem: int, default: int = 0) -> int:
    """An unsigned short of a parsed command set."""
    raw = cmd.get(elem)
    return struct.unpack("<H", raw[:2])[0] if raw and len(raw) >= 2 else default


def uid(raw: bytes) -> bytes:
    """A UID value without its padding."""
    return raw.rstrip(b"\0 ")


def _meta_element(group_elem: int, vr: bytes, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    head = struct.pack("<HH", 0x0002, group_elem) + vr
    if vr == b"OB":
        return head + b"\0\0" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def part10_header(sop_class: bytes, sop_instance: bytes, syntax: str, source_ae: str) -> bytes:
    """Preamble and file meta information for a dataset received in ``syntax``."""
    body = b"".join((_meta_element(0x0001, b"OB", b"\0\1"),
                     _meta_element(0x0002, b"UI", sop_class),
                     _meta_element(0x0003, b"UI", sop_instance),
                     _meta_element(0x0010, b"UI", syntax.encode()),
                     _meta_element(0x0012, b"UI", PYDICOM_IMPLEMENTATION_UID.encode()),
                     _meta_element(0x0013, b"SH", IMPLEMENTATION_VERSION.encode()),
                     _meta_element(0x0016, b"AE", source_ae.strip().encode())))
    return (b"\0" * 128 + b"DICM" + _meta_element(0x0000, b"UL", struct.pack("<I", len(body)))
            + body)


class Link:
    """One upper-layer connection: PDUs in and out of a (possibly TLS) socket."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(30)
        self.sock, self.peer = sock, peer
        self.peer_ae = ""  # the peer's AE title, once negotiated (Part 10 source AE)
        self.rfile: BufferedReader = sock.makefile("rb", buffering=1 << 20)
        self.peer_max = 0

    def send(self, pdu_type: int, body: bytes) -> None:
        """One PDU."""
        self.sock.sendall(struct.pack(">BBI", pdu_type, 0, len(body)) + body)

    def send_message(self, context_id: int, cmd: bytes, dataset: bytes = b"") -> None:
        """A command (and dataset) as P-DATA, fragmented to the peer's maximum PDU."""
        room = (self.peer_max - 6) if self.peer_max else len(cmd) + len(dataset) + 1
        room = max(room, 1)
        for flags, data in ((0x01, cmd), (0x00, dataset)):
            if not data and flags == 0x00:
                continue
            for start in range(0, len(data), room):
                chunk = data[start:start + room]
                last = 0x02 if start + room >= len(data) else 0
                self.send(0x04, struct.pack(">IBB", len(chunk) + 2, context_id, flags | last)
                          + chunk)

    def read(self) -> tuple[int, bytes]:
        """(PDU type, body); a closed connection or a timeout is a PacsError."""
        try:
            head = self.rfile.read(6)
            if len(head) == 6:
                pdu_type, _r, length = struct.unpack(">BBI", head)
                if length > 2 * MAX_PDU:
                    raise PacsError(f"{self.peer} sent a {length}-byte PDU (announced at "
                                    f"most {MAX_PDU})")
                body = self.rfile.read(length)
                if len(body) == length:
                    return pdu_type, body
        except (TimeoutError, OSError) as exc:
            raise PacsError(f"{self.peer} stopped answering during the retrieval "
                            f"({exc or 'timed out'})") from exc
        raise PacsError(f"{self.peer} stopped answering during the retrieval (the "
                        "connection closed)")

    def __enter__(self) -> Link:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abort=exc_type is not None)  # a failed or cancelled exchange is aborted

    def close(self, abort: bool = False) -> None:
        """Release (or abort) and close; errors on the way out no longer matter."""
        try:
            if abort:
                self.send(0x07, b"\0\0\0\0")
            else:
                self.send(0x05, b"\0\0\0\0")  # A-RELEASE-RQ; the RP is read, not needed
                self.sock.settimeout(5)
                while self.read()[0] not in (0x06, 0x07):
                    pass
        except (OSError, PacsError):
            pass
        finally:
            self.disconnect()

    def disconnect(self) -> None:
        """Close the connection without a word (the association is over, or never was)."""
        self.rfile.close()
        self.sock.close()


def max_length(user_information) -> int:
    """The peer's maximum PDU length from negotiated user information (0: unlimited)."""
    from pynetdicom.pdu_primitives import MaximumLengthNotification

    return next((item.maximum_length_received for item in user_information
                 if isinstance(item, MaximumLengthNotification)), 0)


def own_user_information() -> list:
    """Maximum PDU length and implementation identity, for either side of a negotiation."""
    from pynetdicom.pdu_primitives import (
        ImplementationClassUIDNotification,
        ImplementationVersionNameNotification,
        MaximumLengthNotification,
    )

    maximum = MaximumLengthNotification()
    maximum.maximum_length_received = MAX_PDU
    impl = ImplementationClassUIDNotification()
    impl.implementation_class_uid = PYDICOM_IMPLEMENTATION_UID
    version = ImplementationVersionNameNotification()
    version.implementation_version_name = IMPLEMENTATION_VERSION
    return [maximum, impl, version]


def messages(link: Link) -> Iterator[tuple[int, dict[int, bytes], list[memoryview]]]:
    """(context id, command, dataset fragments) per DIMSE message as it completes; ends when
    the peer releases the association."""
    cmd_parts: list[memoryview] = []
    data_parts: list[memoryview] = []
    parsed: dict[int, bytes] | None = None
    while True:
        pdu_type, body = link.read()
        if pdu_type == 0x05:  # A-RELEASE-RQ: the peer is done
            link.send(0x06, b"\0\0\0\0")
            return
        if pdu_type == 0x07:
            raise PacsError(f"{link.peer} aborted the association during the retrieval")
        if pdu_type != 0x04:
            raise PacsError(f"{link.peer} ended the association during the retrieval")
        view, offset = memoryview(body), 0
        while offset + 6 <= len(body):
            length, cid, flags = struct.unpack_from(">IBB", body, offset)
            fragment = view[offset + 6:offset + 4 + length]
            offset += 4 + length
            if flags & 0x01:
                cmd_parts.append(fragment)
                if flags & 0x02:
                    parsed = parse_command(b"".join(cmd_parts))
                    cmd_parts = []
                    if us(parsed, 0x0800) == NO_DATASET:
                        yield cid, parsed, []
                        parsed = None
            else:
                data_parts.append(fragment)
                if flags & 0x02 and parsed is not None:
                    yield cid, parsed, data_parts
                    parsed, data_parts = None, []


def store_answered(link: Link, context_id: int, cmd: dict[int, bytes], dataset: list,
                   syntax: str, receiver, status: int = 0x0000) -> None:
    """Write one received C-STORE (Part 10 header + the bytes as sent) and answer it."""
    sop_class, sop_instance = uid(cmd.get(0x0002, b"")), uid(cmd.get(0x1000, b""))
    receiver.write([part10_header(sop_class, sop_instance, syntax, link.peer_ae), *dataset])
    link.send_message(context_id, command(sop_class=sop_class, field=C_STORE_RSP,
                                          responding_to=us(cmd, 0x0110),
                                          dataset_type=NO_DATASET, status=status,
                                          sop_instance=sop_instance))
