"""C-GET and C-MOVE of one series on the lean upper layer (``upper_layer``): negotiated with
pynetdicom's PDU codecs, each instance written as received. On a 300-slice 512x512 series
from Orthanc, C-GET takes 0.8-1.0x dcmtk getscu's time and C-MOVE 0.4x movescu's
(pynetdicom's own path: 4x and 6x getscu; benchmarks/pacs.py)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from pathlib import Path

from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import ImplicitVRLittleEndian

from inference.pacs import cache
from inference.pacs.dimse import (
    association_refused,
    count_instances,
    no_association,
    series_query,
    tls_args,
)
from inference.pacs.nodes import PacsError, PacsNode
from inference.pacs.upper_layer import (
    C_GET_RQ,
    C_GET_RSP,
    C_STORE_RQ,
    PENDING,
    Link,
    command,
    max_length,
    messages,
    own_user_information,
    store_answered,
    us,
)
from inference.progress import CancelToken, ProgressEvent

GET_MODEL = "1.2.840.10008.5.1.4.1.2.2.3"  # Study Root Query/Retrieve - GET
MOVE_MODEL = "1.2.840.10008.5.1.4.1.2.2.2"  # Study Root Query/Retrieve - MOVE
C_MOVE_RQ, C_MOVE_RSP = 0x0021, 0x8021


def connect(node: PacsNode) -> Link:
    """A TCP (or DICOM TLS) connection to the node, or a PacsError saying why not."""
    try:
        sock = socket.create_connection((node.host, node.port), timeout=30)
    except OSError as exc:
        raise PacsError(f"{node.name}: cannot reach {node.host}:{node.port} ({exc})") from exc
    tls = tls_args(node)
    if tls is not None:
        try:
            sock = tls[0].wrap_socket(sock, server_hostname=tls[1])
        except OSError as exc:
            sock.close()
            raise no_association(node) from exc
    link = Link(sock, node.name)
    link.peer_ae = node.ae_title
    return link


def _contexts(model: str) -> list[tuple[int, str, list[str]]]:
    """(context id, abstract syntax, transfer syntaxes): the retrieve model first, then for
    C-GET the storage classes the PACS may send back on this association."""
    from pynetdicom import DEFAULT_TRANSFER_SYNTAXES
    from pynetdicom.presentation import StoragePresentationContexts

    contexts = [(1, model, [ImplicitVRLittleEndian])]
    if model == GET_MODEL:
        for n, ctx in enumerate(StoragePresentationContexts[:120]):  # 127 ids at most
            contexts.append((3 + 2 * n, ctx.abstract_syntax, list(DEFAULT_TRANSFER_SYNTAXES)))
    return contexts


def _associate(link: Link, node: PacsNode, contexts) -> dict[int, tuple[str, str]]:
    """Negotiate (storage contexts with the SCP role); returns accepted context id ->
    (abstract syntax, transfer syntax)."""
    from pynetdicom.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RQ
    from pynetdicom.pdu_primitives import A_ASSOCIATE, SCP_SCU_RoleSelectionNegotiation
    from pynetdicom.presentation import PresentationContext

    primitive = A_ASSOCIATE()
    primitive.application_context_name = "1.2.840.10008.3.1.1.1"
    primitive.calling_ae_title = node.own_ae_title
    primitive.called_ae_title = node.ae_title
    offered = []
    for cid, abstract, syntaxes in contexts:
        pc = PresentationContext()
        pc.context_id, pc.abstract_syntax, pc.transfer_syntax = cid, abstract, syntaxes
        offered.append(pc)
    primitive.presentation_context_definition_list = offered
    roles = []
    for _cid, abstract, _s in contexts[1:]:
        role = SCP_SCU_RoleSelectionNegotiation()
        role.sop_class_uid, role.scu_role, role.scp_role = abstract, False, True
        roles.append(role)
    primitive.user_information = [*own_user_information(), *roles]
    request = A_ASSOCIATE_RQ()
    request.from_primitive(primitive)
    try:
        link.send(0x01, request.encode()[6:])
        pdu_type, body = link.read()
    except (OSError, PacsError) as exc:
        raise no_association(node) from exc
    head = struct.pack(">BBI", pdu_type, 0, len(body))
    if pdu_type == 0x03:  # A-ASSOCIATE-RJ
        raise association_refused(node)
    if pdu_type != 0x02:
        raise no_association(node)
    reply = A_ASSOCIATE_AC()
    reply.decode(head + body)
    accepted_primitive = reply.to_primitive()
    link.peer_max = max_length(accepted_primitive.user_information)
    names = {cid: abstract for cid, abstract, _s in contexts}
    return {pc.context_id: (names[pc.context_id], str(pc.transfer_syntax[0]))
            for pc in accepted_primitive.presentation_context_definition_results_list
            if pc.result == 0 and pc.context_id in names}


def _refused_unless_answered(node: PacsNode, replies, receiver):
    """The replies; a PACS that drops the association before any reply or instance (as
    Orthanc does for an AE title it does not know) is named as the likely cause."""
    answered = False
    try:
        for reply in replies:
            answered = True
            yield reply
    except PacsError as exc:
        if answered or receiver.count:
            raise
        raise PacsError(f"{node.name} dropped the retrieval unanswered: is this workstation "
                        f"({node.own_ae_title!r}, this host"
                        + (f", port {node.own_storage_port}" if node.retrieve == "move" else "")
                        + ") registered there (as a move destination for C-MOVE)?") from exc


def _response(cmd: dict[int, bytes], receiver: cache.Receiver) -> tuple[int, int | None]:
    """(status, failed sub-operations once final, else None) of a C-GET/C-MOVE response;
    a pending one's counts give the total where the caller did not know it."""
    code = us(cmd, 0x0900)
    if code not in PENDING:
        return code, us(cmd, 0x1022)
    if receiver.expected is None:
        receiver.expected = sum(us(cmd, e) for e in (0x1020, 0x1021, 0x1022, 0x1023)) or None
    return code, None


def _count_unless_announced(node: PacsNode, study_uid: str, series_uid: str,
                            receiver: cache.Receiver) -> None:
    """A PACS that sent no pending counts (they are optional) is asked how many there are:
    without a count, what arrived cannot be known to be the whole series."""
    if receiver.expected is None:
        receiver.expected = count_instances(node, study_uid, series_uid)


def _identifier(study_uid: str, series_uid: str) -> bytes:
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, True
    write_dataset(out, series_query(study_uid, series_uid))
    return out.getvalue()


def get_series(node: PacsNode, study_uid: str, series_uid: str, *,
               expected: int | None = None,
               progress: Callable[[ProgressEvent], None] | None = None,
               cancel: CancelToken | None = None, cache_root: Path | None = None) -> Path:
    """C-GET one series into the cache; returns its folder, complete, or raises PacsError."""
    from inference.errors import Cancelled

    def write(partial: Path) -> None:
        receiver = cache.Receiver(partial, series_uid, expected, progress)
        with connect(node) as link:
            accepted = _associate(link, node, _contexts(GET_MODEL))
            if 1 not in accepted:
                raise PacsError(f"{node.name} does not offer C-GET: set the node to C-MOVE "
                                "(retrieve: move) with this workstation's storage port")
            link.send_message(1, command(sop_class=GET_MODEL.encode(), field=C_GET_RQ,
                                         message_id=1, priority=0, dataset_type=0),
                              _identifier(study_uid, series_uid))
            code, failed = None, None
            for cid, cmd, dataset in _refused_unless_answered(node, messages(link), receiver):
                field = us(cmd, 0x0100)
                if field == C_STORE_RQ:
                    store_answered(link, cid, cmd, dataset,
                                   accepted.get(cid, ("", ImplicitVRLittleEndian))[1],
                                   receiver)
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled()
                elif field == C_GET_RSP:
                    code, failed = _response(cmd, receiver)
                    if failed is not None:
                        break
        _count_unless_announced(node, study_uid, series_uid, receiver)
        receiver.check(node, code, failed or 0)

    return cache.fill(series_uid, cache_root, write)


def move_series(node: PacsNode, study_uid: str, series_uid: str, *,
                expected: int | None = None,
                progress: Callable[[ProgressEvent], None] | None = None,
                cancel: CancelToken | None = None, cache_root: Path | None = None) -> Path:
    """C-MOVE one series to this workstation's own storage SCP (``own_storage_port``, which
    the PACS must know as ``own_ae_title``) into the cache; complete, or PacsError."""
    from inference.errors import Cancelled
    from inference.pacs.storescp import StorageServer

    if not node.own_storage_port:
        raise PacsError(f"{node.name}: C-MOVE needs this workstation's storage port "
                        "(own_storage_port), known to the PACS with its AE title")

    def write(partial: Path) -> None:
        receiver = cache.Receiver(partial, series_uid, expected, progress)
        with StorageServer(node, receiver, cancel) as server, connect(node) as link:
            if 1 not in _associate(link, node, _contexts(MOVE_MODEL)):
                raise PacsError(f"{node.name} does not offer C-MOVE: set the node to C-GET")
            link.send_message(1, command(sop_class=MOVE_MODEL.encode(), field=C_MOVE_RQ,
                                         message_id=1, priority=0, dataset_type=0,
                                         move_destination=node.own_ae_title.encode().ljust(16)),
                              _identifier(study_uid, series_uid))
            code, failed = None, None
            for _cid, cmd, _dataset in _refused_unless_answered(node, messages(link),
                                                                receiver):
                if us(cmd, 0x0100) != C_MOVE_RSP:
                    continue
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                code, failed = _response(cmd, receiver)
                if failed is not None:
                    break
        # both closed: the last instance was written before the final response
        if code == 0xA801:
            raise PacsError(f"{node.name} does not know the move destination "
                            f"{node.own_ae_title!r}: register it there with this host and "
                            f"port {node.own_storage_port}")
        if receiver.count == 0 and not failed:
            raise PacsError(f"{node.name} sent nothing: is {node.own_ae_title!r} registered "
                            f"there as a move destination (this host, port "
                            f"{node.own_storage_port}), and does the series exist?")
        if server.error is not None and receiver.count != receiver.expected:
            raise server.error
        _count_unless_announced(node, study_uid, series_uid, receiver)
        receiver.check(node, code, failed or 0)

    return cache.fill(series_uid, cache_root, write)
