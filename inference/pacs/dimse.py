"""DIMSE with pynetdicom: C-ECHO, C-FIND (study and series), C-STORE of files (retrieval,
C-GET and C-MOVE, runs on a lean path in ``retrieval``). Every failure is one readable
PacsError; nothing identifying is logged (query results are returned to the caller, never
written to a log)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path

from pydicom import Dataset, dcmread

from inference.pacs.nodes import PacsError, PacsNode
from inference.progress import CancelToken, ProgressEvent

logging.getLogger("pynetdicom").setLevel(logging.WARNING)  # it logs identifiers at INFO

# PatientBirthDate keys a catalogue's pseudonym as a file's does; the series keys beyond
# those a screen shows are what series understanding reads (inference.series).
STUDY_KEYS = ("PatientName", "PatientID", "PatientBirthDate", "StudyDate", "StudyDescription",
              "AccessionNumber", "ModalitiesInStudy", "StudyInstanceUID",
              "NumberOfStudyRelatedSeries")
SERIES_KEYS = ("SeriesInstanceUID", "SeriesDescription", "Modality", "SeriesNumber",
               "NumberOfSeriesRelatedInstances", "ContrastBolusAgent", "SeriesTime",
               "BodyPartExamined", "ProtocolName")
INSTANCE_KEYS = ("SOPInstanceUID", "InstanceNumber")
LEVEL_KEYS = {"STUDY": STUDY_KEYS, "SERIES": SERIES_KEYS, "IMAGE": INSTANCE_KEYS}


def _ae(node: PacsNode):
    from pynetdicom import AE

    ae = AE(ae_title=node.own_ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    ae.maximum_pdu_size = 0  # no limit: a slice travels in one P-DATA, not in 16 kB pieces
    return ae


def tls_args(node: PacsNode):
    """(SSL context, server name) for DICOM TLS, or None."""
    if not node.tls:
        return None
    import ssl

    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                         cafile=node.tls_ca or None)
        if node.tls_cert:
            ctx.load_cert_chain(node.tls_cert, node.tls_key or None)
    except (OSError, ssl.SSLError) as exc:
        raise PacsError(f"{node.name}: the TLS certificates cannot be used ({exc})") from exc
    return ctx, node.host


def _associate(ae, node: PacsNode, **kw):
    """An association, or a PacsError saying which of address, port or AE title failed."""
    from pynetdicom import evt
    from pynetdicom.pdu import A_ASSOCIATE_RJ

    tls = tls_args(node)
    if tls is not None:
        kw["tls_args"] = tls
    # pynetdicom sometimes reports an A-ASSOCIATE-RJ as an abort, when the peer closes the
    # connection right after it (Orthanc does: about 1 in 25): the PDU itself is the truth.
    rejected: list[A_ASSOCIATE_RJ] = []

    def seen(event) -> None:
        if isinstance(event.pdu, A_ASSOCIATE_RJ):
            rejected.append(event.pdu)

    try:
        assoc = ae.associate(node.host, node.port, ae_title=node.ae_title,
                             evt_handlers=[(evt.EVT_PDU_RECV, seen)], **kw)
    except (OSError, ValueError) as exc:
        raise PacsError(f"{node.name}: cannot reach {node.host}:{node.port} ({exc})") from exc
    if assoc.is_established:
        # Small DIMSE messages otherwise wait on Nagle's algorithm: tens of ms per instance.
        sock = getattr(getattr(assoc.dul, "socket", None), "socket", None)
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return assoc
    if assoc.rejected_contexts and not assoc.accepted_contexts:
        # What was offered, not what the reply echoes (DCMTK answers a refusal with
        # implicit VR whatever was asked).
        asked = {c.context_id: c.transfer_syntax for c in assoc.requestor.requested_contexts}
        offered = sorted({f"{c.abstract_syntax} in "
                          f"{' or '.join(asked.get(c.context_id) or c.transfer_syntax[:1])}"
                          for c in assoc.rejected_contexts})
        raise PacsError(f"{node.name} accepts none of the offered presentation contexts "
                        f"({', '.join(offered)[:200]}): it does not take this kind of object "
                        "or this transfer syntax")
    if assoc.is_rejected or rejected:
        raise association_refused(node)
    raise no_association(node)


def association_refused(node: PacsNode) -> PacsError:
    """The PACS answered with A-ASSOCIATE-RJ."""
    return PacsError(f"{node.name} rejected the association: check the called AE title "
                     f"{node.ae_title!r} and that {node.own_ae_title!r} is known there")


def no_association(node: PacsNode) -> PacsError:
    """Something answered, but not as a DICOM peer (or TLS failed)."""
    return PacsError(f"{node.name}: no DICOM association with {node.host}:{node.port} (nothing "
                     "answers there, or it is not a DICOM port"
                     + (", or the TLS handshake failed: check the certificates)" if node.tls
                        else ")"))


def echo(node: PacsNode) -> None:
    """C-ECHO ("Test connection"): returns quietly or raises PacsError."""
    from pynetdicom.sop_class import Verification

    ae = _ae(node)
    ae.add_requested_context(Verification)
    assoc = _associate(ae, node)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    if not status or status.Status != 0:
        raise PacsError(f"{node.name} did not answer the echo (status "
                        f"{getattr(status, 'Status', 'none')})")


def find(node: PacsNode, level: str = "STUDY", **filters: str) -> list[dict]:
    """C-FIND at STUDY, SERIES or IMAGE level (``StudyInstanceUID=`` for series, and
    ``SeriesInstanceUID=`` too for instances); matches as dicts."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FindModel

    keys = LEVEL_KEYS[level]
    query = Dataset()
    query.QueryRetrieveLevel = level
    for key in keys:
        setattr(query, key, "")
    for key, value in filters.items():
        setattr(query, key, value)
    if level in ("SERIES", "IMAGE") and "StudyInstanceUID" not in filters:
        raise PacsError("a series query needs the study (StudyInstanceUID)")
    if level == "IMAGE" and "SeriesInstanceUID" not in filters:
        raise PacsError("an instance query needs the series (SeriesInstanceUID)")
    ae = _ae(node)
    ae.add_requested_context(FindModel)
    assoc = _associate(ae, node)
    out = []
    try:
        for status, identifier in assoc.send_c_find(query, FindModel):
            if status is None:
                raise PacsError(f"{node.name} stopped answering the query")
            if "Status" not in status:  # the PACS dropped the association unanswered
                raise PacsError(f"{node.name} dropped the query unanswered: is this "
                                f"workstation ({node.own_ae_title!r}) known there?")
            if status.Status in (0xFF00, 0xFF01) and identifier is not None:
                out.append({k: str(identifier.get(k, "") or "") for k in keys})
            elif status.Status not in (0x0000, 0xFF00, 0xFF01):
                raise PacsError(f"{node.name} refused the query (status 0x{status.Status:04X}"
                                "): is this workstation's AE title known there?")
    finally:
        assoc.release()
    return out


def expected_count(row: dict) -> int | None:
    """How many instances a series query row says the series holds (None: not said)."""
    count = str(row.get("NumberOfSeriesRelatedInstances", "")).strip()
    return int(count) if count.isdigit() else None


def counted(node: PacsNode, series_row: dict | None, instances) -> int:
    """A series' instance count: its query row's, else the number of instances ``instances()``
    lists (one rule for DIMSE and DICOMweb)."""
    if series_row is None:
        raise PacsError(f"{node.name} has no such series in that study (check the UIDs)")
    count = expected_count(series_row)
    if count is None:
        count = len({r["SOPInstanceUID"] for r in instances()})
    if count == 0:
        raise PacsError(f"{node.name}: the series has no instances there")
    return count


def count_instances(node: PacsNode, study_uid: str, series_uid: str) -> int:
    """How many instances the PACS says the series holds (C-FIND: series, else instances)."""
    rows = find(node, "SERIES", StudyInstanceUID=study_uid, SeriesInstanceUID=series_uid)
    row = next((r for r in rows if r["SeriesInstanceUID"] == series_uid), None)
    return counted(node, row, lambda: find(node, "IMAGE", StudyInstanceUID=study_uid,
                                           SeriesInstanceUID=series_uid))


def series_query(study_uid: str, series_uid: str) -> Dataset:
    """The identifier of a series-level retrieval."""
    query = Dataset()
    query.QueryRetrieveLevel = "SERIES"
    query.StudyInstanceUID = study_uid
    query.SeriesInstanceUID = series_uid
    return query


def store(node: PacsNode, files: list[Path],
          progress: Callable[[ProgressEvent], None] | None = None,
          cancel: CancelToken | None = None) -> int:
    """C-STORE files to the node; returns how many it accepted, or raises PacsError."""
    datasets = [dcmread(f) for f in files]
    ae = _ae(node)
    for sop, syntax in sorted({(str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID))
                               for ds in datasets}):
        ae.add_requested_context(sop, syntax)  # each file goes in the syntax it is in
    assoc = _associate(ae, node)
    stored = 0
    try:
        accepted = {(c.abstract_syntax, c.transfer_syntax[0]) for c in
                    assoc.accepted_contexts}
        for ds in datasets:
            wanted = (str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID))
            if not any(a == wanted[0] for a, _t in accepted):
                raise PacsError(f"{node.name} rejected storage of {ds.SOPClassUID} in transfer "
                                f"syntax {ds.file_meta.TransferSyntaxUID} (no accepted "
                                f"presentation context); {stored} stored")
            status = assoc.send_c_store(ds)
            if status is None or status.Status not in (0x0000, 0xB000, 0xB007, 0xB006):
                raise PacsError(f"{node.name} refused an instance (status "
                                f"0x{getattr(status, 'Status', 0):04X}); {stored} stored")
            stored += 1
            if progress:
                progress(ProgressEvent("Sending to PACS", stored, len(datasets)))
            if cancel is not None and cancel.cancelled and stored < len(datasets):
                raise PacsError(stopped_sending(node, stored, len(datasets)))
    finally:
        assoc.release()
    return stored


def stopped_sending(node: PacsNode, stored: int, total: int) -> str:
    """What a cancelled send leaves behind: a PACS does not take instances back."""
    return (f"sending stopped after {stored} of {total} instance(s): {node.name} holds an "
            "incomplete series (delete it there, or send again to complete it)")
