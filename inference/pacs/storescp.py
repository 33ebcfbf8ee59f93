"""This workstation's storage SCP for C-MOVE, on the lean upper layer (``upper_layer``).

The PACS opens an association to ``own_ae_title`` at ``own_storage_port`` and sends the
series there; each instance is written as received. pynetdicom's own storage SCP spent six
times as long on a 300-slice 512x512 series, all of it per-PDU Python.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from pydicom.uid import ImplicitVRLittleEndian

from inference.pacs.nodes import PacsError, PacsNode
from inference.pacs.upper_layer import (
    C_STORE_RQ,
    NO_DATASET,
    Link,
    command,
    max_length,
    messages,
    own_user_information,
    store_answered,
    uid,
    us,
)
from inference.progress import CancelToken

C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030


def _accepted_contexts(requested) -> list:
    """One result per requested context: storage classes in an uncompressed syntax."""
    from pynetdicom import DEFAULT_TRANSFER_SYNTAXES
    from pynetdicom.presentation import PresentationContext, StoragePresentationContexts

    storage = {c.abstract_syntax for c in StoragePresentationContexts}
    storage.add("1.2.840.10008.1.1")  # Verification, so that a C-ECHO from the PACS works
    results = []
    for pc in requested:
        answer = PresentationContext()
        answer.context_id = pc.context_id
        usable = [ts for ts in pc.transfer_syntax if ts in DEFAULT_TRANSFER_SYNTAXES]
        if pc.abstract_syntax not in storage:
            answer.result, answer.transfer_syntax = 0x03, [pc.transfer_syntax[0]]
        elif not usable:
            answer.result, answer.transfer_syntax = 0x04, [pc.transfer_syntax[0]]
        else:
            answer.result, answer.transfer_syntax = 0x00, [usable[0]]
        results.append(answer)
    return results


def _server_tls(node: PacsNode):
    """The TLS context the PACS's storage association is accepted with, or None."""
    if not node.tls:
        return None
    import ssl

    if not node.tls_cert:
        raise PacsError(f"{node.name}: C-MOVE over DICOM TLS needs this workstation's "
                        "certificate and key (the PACS connects to its storage port)")
    try:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(node.tls_cert, node.tls_key or None)
        if node.tls_ca:  # only a PACS whose certificate is trusted may deliver
            ctx.load_verify_locations(node.tls_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise PacsError(f"{node.name}: the TLS certificates cannot be used ({exc})") from exc
    return ctx


class StorageServer:
    """Listens on the node's storage port while a C-MOVE runs; ``receiver`` gets the files."""

    def __init__(self, node: PacsNode, receiver, cancel: CancelToken | None = None) -> None:
        self.node, self.receiver, self.cancel = node, receiver, cancel
        self.error: PacsError | None = None
        host = "127.0.0.1" if node.host in ("127.0.0.1", "localhost") else "0.0.0.0"
        try:
            self.listener = socket.create_server((host, node.own_storage_port))
        except OSError as exc:
            raise PacsError(f"cannot listen on storage port {node.own_storage_port}: {exc}"
                            ) from exc
        self.listener.settimeout(0.2)
        self.tls = _server_tls(node)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dcreview-storescp",
                                        daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            try:
                if self.tls is not None:
                    try:
                        conn = self.tls.wrap_socket(conn, server_side=True)
                    except OSError as exc:
                        conn.close()
                        raise PacsError(f"{self.node.name} connected to the storage port "
                                        f"without a TLS handshake this workstation trusts "
                                        f"({exc})") from exc
                self._associate_and_receive(Link(conn, self.node.name))
            except PacsError as exc:
                self.error = exc
            except Exception as exc:  # a malformed PDU must not end the listener silently
                self.error = PacsError(f"{self.node.name} sent something this workstation "
                                       f"cannot read ({type(exc).__name__})")

    def _associate_and_receive(self, link: Link) -> None:
        from pynetdicom.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RQ
        from pynetdicom.pdu_primitives import A_ASSOCIATE

        pdu_type, body = link.read()
        if pdu_type != 0x01:
            link.close(abort=True)
            return
        request = A_ASSOCIATE_RQ()
        request.decode(struct.pack(">BBI", pdu_type, 0, len(body)) + body)
        asked = request.to_primitive()
        if asked.called_ae_title.strip() != self.node.own_ae_title.strip():
            link.send(0x03, b"\0\1\1\7")  # rejected permanent: called AE title not recognised
            link.disconnect()
            return
        link.peer_ae, link.peer_max = asked.calling_ae_title, max_length(
            asked.user_information)
        reply = A_ASSOCIATE()
        reply.application_context_name = asked.application_context_name
        reply.called_ae_title, reply.calling_ae_title = (asked.called_ae_title,
                                                         asked.calling_ae_title)
        results = _accepted_contexts(asked.presentation_context_definition_list)
        reply.presentation_context_definition_results_list = results
        reply.user_information = own_user_information()
        accept = A_ASSOCIATE_AC()
        accept.from_primitive(reply)
        link.send(0x02, accept.encode()[6:])
        syntax = {pc.context_id: str(pc.transfer_syntax[0]) for pc in results if pc.result == 0}
        for cid, cmd, dataset in messages(link):
            field = us(cmd, 0x0100)
            if field == C_STORE_RQ:
                store_answered(link, cid, cmd, dataset, syntax.get(cid, ImplicitVRLittleEndian),
                               self.receiver)
                if self.cancel is not None and self.cancel.cancelled:
                    link.close(abort=True)
                    return
            elif field == C_ECHO_RQ:
                link.send_message(cid, command(sop_class=uid(cmd.get(0x0002, b"")),
                                               field=C_ECHO_RSP,
                                               responding_to=us(cmd, 0x0110),
                                               dataset_type=NO_DATASET, status=0))
        link.disconnect()  # the PACS released the association

    def __enter__(self) -> StorageServer:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop listening (an association in progress finishes first, briefly)."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes a waiting accept() at once
        self.listener.close()
        self._thread.join(timeout=10)
