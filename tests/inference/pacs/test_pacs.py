"""PACS against a real Orthanc: echo, find, C-GET and WADO-RS of a series (pixels and
geometry as the originals), sending the synthetic series back by C-STORE and STOW-RS, and
one readable message per fault."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from inference.cli import main
from inference.io.loader import open_volume
from inference.pacs import cache, client, dicomweb, dimse, retrieval
from inference.pacs.nodes import PacsError, PacsNode
from tests.support.orthanc import PASSWORD, USER, holding_the_phantom, start_orthanc


@pytest.fixture(scope="module")
def orthanc(orthanc_server, small_case):
    """The session's Orthanc, holding the small case when this module starts (its tests may
    send results back into the study)."""
    return holding_the_phantom(orthanc_server, small_case)


@pytest.fixture
def dimse_node(orthanc):
    return PacsNode("test", ae_title="ORTHANC", port=orthanc.dicom_port)


@pytest.fixture
def web_node(orthanc):
    return PacsNode("web", kind="dicomweb", url=f"{orthanc.url}/dicom-web", username=USER,
                    password=PASSWORD)


def _study(dimse_node) -> dict:
    studies = dimse.find(dimse_node, "STUDY", PatientID="PHANTOM-0000")
    assert len(studies) == 1
    return studies[0]


def test_echo_find_and_c_get_one_series(dimse_node, small_case):
    dimse.echo(dimse_node)
    study = _study(dimse_node)
    assert study["NumberOfStudyRelatedSeries"] == "2"
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study["StudyInstanceUID"])
    nc = next(s for s in series if "non-contrast" in s["SeriesDescription"])
    events = []
    folder = retrieval.get_series(dimse_node, study["StudyInstanceUID"], nc["SeriesInstanceUID"],
                             progress=events.append)
    got, original = open_volume(folder).volume, open_volume(small_case.noncontrast).volume
    np.testing.assert_array_equal(got.array, original.array)
    assert got.geometry.same_grid(original.geometry)
    count = int(nc["NumberOfSeriesRelatedInstances"])
    # the PACS's own sub-operation counts give the total when the caller did not know it
    assert [e.done for e in events] == list(range(1, count + 1))
    assert events[-1].total == count
    # each file is Part 10 with a meta header naming what it holds, the dataset bytes as sent
    sent = {pydicom.dcmread(f).SOPInstanceUID: f for f in small_case.noncontrast.glob("*.dcm")}
    for path in cache.instances(folder):
        ds = pydicom.dcmread(path)
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID in sent
        assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
        assert ds.file_meta.SourceApplicationEntityTitle == "ORTHANC"
        original_ds = pydicom.dcmread(sent[ds.SOPInstanceUID])
        assert ds.PatientName == original_ds.PatientName
        assert ds.pixel_array.tobytes() == original_ds.pixel_array.tobytes()
    # dcmtk reads them as well
    check = subprocess.run(["/usr/bin/dcmdump", "-q", str(cache.instances(folder)[0])],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "(0002,0010)" in check.stdout


def test_a_cancelled_c_get_keeps_nothing(dimse_node, tmp_path):
    from inference.errors import Cancelled
    from inference.progress import CancelToken

    study = _study(dimse_node)
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study["StudyInstanceUID"])
    token = CancelToken()

    def cancel_at_three(event) -> None:
        if event.done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        retrieval.get_series(dimse_node, study["StudyInstanceUID"], series[0]["SeriesInstanceUID"],
                        progress=cancel_at_three, cancel=token, cache_root=tmp_path / "c")
    assert not any((tmp_path / "c").iterdir())
    dimse.echo(dimse_node)  # the PACS is still there for the next request


def test_qido_and_wado_rs_one_series(dimse_node, web_node, small_case):
    dicomweb.ping(web_node)
    study = _study(dimse_node)
    study_uid = study["StudyInstanceUID"]
    # QIDO answers with the keys and values a C-FIND gives, so screens need not care
    web_studies = client.find_studies(web_node, PatientID="PHANTOM-0000")
    assert len(web_studies) == 1
    for key in ("PatientID", "StudyInstanceUID", "StudyDate", "NumberOfStudyRelatedSeries",
                "ModalitiesInStudy", "PatientName"):
        assert web_studies[0][key] == study[key], key
    date = study["StudyDate"]
    assert len(client.find_studies(web_node, StudyDate=f"{date}-{date}")) == 1
    assert client.find_studies(web_node, PatientID="NOBODY") == []
    # a name with a wildcard, as radiologists type it (Orthanc does not decode %2A)
    name = study["PatientName"].split("^")[0]
    assert len(client.find_studies(web_node, PatientName=f"{name[:4]}*")) == 1
    assert len(client.find_studies(dimse_node, PatientName=f"{name[:4]}*")) == 1
    # ...and a full name with its "^", which urllib3 sends as %5E and Orthanc took literally
    assert "^" in study["PatientName"]
    for node in (web_node, dimse_node):
        assert len(client.find_studies(node, PatientName=study["PatientName"])) == 1
    series = dicomweb.find_series(web_node, study_uid)
    by_uid = {s["SeriesInstanceUID"]: s for s in series}
    for s in dimse.find(dimse_node, "SERIES", StudyInstanceUID=study_uid):
        assert by_uid[s["SeriesInstanceUID"]] == s
    # page by page (cloud archives answer 100 at a time): one per page finds them all
    assert len(series) >= 2
    assert sorted(dicomweb.find_series(web_node, study_uid, page=1), key=str) == sorted(
        series, key=str)
    assert dicomweb.find_studies(web_node, page=1, PatientID="PHANTOM-0000") == web_studies
    art = next(s for s in series if "arterial" in s["SeriesDescription"])
    folder = dicomweb.get_series(web_node, study_uid, art["SeriesInstanceUID"])
    got, original = open_volume(folder).volume, open_volume(small_case.contrast).volume
    np.testing.assert_array_equal(got.array, original.array)
    assert got.geometry.same_grid(original.geometry)


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_synthetic_series_goes_back_into_its_study(orthanc, small_case, tmp_path, kind,
                                                   dimse_node, capsys):
    """Headless round trip: the input retrieved from the PACS (--pacs NAME, or a pacs://
    address), synthesised, and the SYNTHETIC series sent back into the same study."""
    out = tmp_path / "out"
    args = (["--dimse", f"ORTHANC@127.0.0.1:{orthanc.dicom_port}"] if kind == "dimse" else
            ["--dicomweb", f"{orthanc.url}/dicom-web", "--user", USER, "--password", PASSWORD])
    assert main(["pacs", "add", kind, *args]) == 0
    study = _study(dimse_node)["StudyInstanceUID"]
    nc = next(s for s in dimse.find(dimse_node, "SERIES", StudyInstanceUID=study)
              if "non-contrast" in s["SeriesDescription"])["SeriesInstanceUID"]
    where = (["--pacs", kind, study, "--series", nc] if kind == "dimse"
             else [f"pacs://{kind}/{study}/{nc}"])
    assert main(["synthesize", *where, "-o", str(out), "--dicom"]) == 0
    assert main(["synthesize", "--pacs", kind, study, "-o", str(tmp_path / "x")]) == 2
    assert main(["pacs", "send", kind, str(out / "dicom")]) == 2  # no confirmation: refused
    assert "needs --yes" in capsys.readouterr().err
    # The whole output folder (its NIfTI, sidecar and report beside dicom/): those are skipped.
    assert main(["pacs", "send", kind, str(out), "--yes"]) == 0
    assert "skipped 3 file(s) that are not DICOM" in capsys.readouterr().err
    study_uid = _study(dimse_node)["StudyInstanceUID"]
    series = orthanc.rest("POST", "/tools/find", json={
        "Level": "Series", "Query": {"StudyInstanceUID": study_uid}, "Expand": True})
    synthetic = [s for s in series
                 if s["MainDicomTags"].get("SeriesDescription", "").startswith("SYNTHETIC")]
    assert synthetic, [s["MainDicomTags"].get("SeriesDescription") for s in series]
    assert len(synthetic[-1]["Instances"]) == 40


def test_only_results_are_sent(small_case, capsys, orthanc):
    assert main(["pacs", "add", "only", "--dimse",
                 f"ORTHANC@127.0.0.1:{orthanc.dicom_port}"]) == 0
    assert main(["pacs", "send", "only", str(small_case.noncontrast), "--yes"]) == 2
    assert "only results are sent back" in capsys.readouterr().err


def test_faults_are_one_readable_message_each(orthanc, dimse_node, web_node):
    wrong_port = PacsNode("test", ae_title="ORTHANC", port=orthanc.http_port)
    with pytest.raises(PacsError, match=r"no DICOM association|cannot reach"):
        dimse.echo(PacsNode("test", ae_title="ORTHANC", port=_closed_port()))
    with pytest.raises(PacsError, match="rejected the association: check the called AE"):
        dimse.echo(PacsNode("test", ae_title="NOT-ORTHANC", port=orthanc.dicom_port))
    with pytest.raises(PacsError, match="wrong user name or password"):
        dicomweb.ping(PacsNode("web", kind="dicomweb", url=f"{orthanc.url}/dicom-web",
                               username=USER, password="wrong"))
    with pytest.raises(PacsError, match="no DICOM association"):
        dimse.echo(wrong_port)  # an HTTP port, not a DICOM one
    study_uid = _study(dimse_node)["StudyInstanceUID"]
    with pytest.raises(PacsError, match="no such series in that study"):
        retrieval.get_series(dimse_node, study_uid, "1.2.3.4.5.6.7")
    # the lean C-GET path says the same as the rest of DIMSE
    with pytest.raises(PacsError, match="rejected the association: check the called AE"):
        retrieval.get_series(PacsNode("test", ae_title="NOT-ORTHANC", port=orthanc.dicom_port),
                        study_uid, "1.2.3")
    with pytest.raises(PacsError, match="no DICOM association"):
        retrieval.get_series(wrong_port, study_uid, "1.2.3")
    with pytest.raises(PacsError, match="cannot reach"):
        retrieval.get_series(PacsNode("test", ae_title="ORTHANC", port=_closed_port()),
                        study_uid, "1.2.3")
    root = cache.cache_root()
    assert not list(root.glob(".*.partial"))  # nothing half-retrieved is kept


def test_a_rejection_is_always_reported_as_one(orthanc):
    # pynetdicom sometimes reports Orthanc's A-ASSOCIATE-RJ as an abort (the peer closes the
    # connection right after it): 13 of 300 echoes here, and one CI failure.
    wrong_ae = PacsNode("test", ae_title="NOT-ORTHANC", port=orthanc.dicom_port)
    for _ in range(150):
        with pytest.raises(PacsError, match="rejected the association: check the called AE"):
            dimse.echo(wrong_ae)


def _closed_port() -> int:
    from tests.support.orthanc import free_port

    return free_port()


def test_nodes_are_saved_without_exposing_secrets(tmp_path, monkeypatch):
    from inference.pacs.nodes import get_node, load_nodes, nodes_path

    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    assert main(["pacs", "add", "w", "--dicomweb", "https://pacs.example/dicom-web",
                 "--user", "u", "--password", "secret"]) == 0
    assert nodes_path().stat().st_mode & 0o077 == 0  # owner only: it holds a password
    node = get_node("w")
    assert "secret" not in repr(node) and "secret" not in node.describe()
    assert json.loads(nodes_path().read_text())["nodes"][0]["password"] == "secret"
    with pytest.raises(PacsError, match="no PACS node named 'x'"):
        get_node("x")
    assert set(load_nodes()) == {"w"}
    # one validation rule for the CLI and the settings screen: nothing unusable is saved
    assert main(["pacs", "add", "bad", "--dimse", "ORTHANC@pacs:70000"]) == 2
    assert main(["pacs", "add", "bad", "--dimse", "A-TITLE-LONGER-THAN-16@pacs:104"]) == 2
    assert main(["pacs", "add", "bad", "--dicomweb", "pacs.example/dicom-web"]) == 2
    assert set(load_nodes()) == {"w"}


def test_c_move_one_series_to_our_storage_scp(orthanc, dimse_node, small_case):
    node = PacsNode("test", ae_title="ORTHANC", port=orthanc.dicom_port, retrieve="move",
                    own_storage_port=orthanc.own_port)
    study = _study(dimse_node)
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study["StudyInstanceUID"])
    nc = next(s for s in series if "non-contrast" in s["SeriesDescription"])
    folder = client.retrieve(node, study["StudyInstanceUID"], nc["SeriesInstanceUID"],
                                   expected=int(nc["NumberOfSeriesRelatedInstances"]))
    np.testing.assert_array_equal(open_volume(folder).volume.array,
                                  open_volume(small_case.noncontrast).volume.array)
    unknown = PacsNode("test", ae_title="ORTHANC", port=orthanc.dicom_port, retrieve="move",
                       own_storage_port=orthanc.own_port, own_ae_title="STRANGER")
    with pytest.raises(PacsError, match=r"'STRANGER', this host, port \d+\) registered there"):
        retrieval.move_series(unknown, study["StudyInstanceUID"], nc["SeriesInstanceUID"],
                              expected=int(nc["NumberOfSeriesRelatedInstances"]))
    with pytest.raises(PacsError, match=r"this workstation \('STRANGER'\) known there"):
        client.retrieve(unknown, study["StudyInstanceUID"], nc["SeriesInstanceUID"])


def test_orthanc_stopped_mid_retrieve_leaves_no_half_series(small_case, tmp_path):
    server = start_orthanc(tmp_path / "orthanc")
    try:
        node = PacsNode("dying", ae_title="ORTHANC", port=server.dicom_port)
        dimse.store(node, sorted(small_case.noncontrast.glob("*.dcm")))
        study = dimse.find(node, "STUDY", PatientID="PHANTOM-0000")[0]
        series = dimse.find(node, "SERIES", StudyInstanceUID=study["StudyInstanceUID"])[0]
        root = tmp_path / "cache"

        def kill_after_five(event) -> None:
            if event.done == 5:
                server.process.kill()

        with pytest.raises(PacsError, match=r"stopped answering|incomplete") as info:
            retrieval.get_series(node, study["StudyInstanceUID"], series["SeriesInstanceUID"],
                             expected=40, progress=kill_after_five, cache_root=root)
        assert "\n" not in str(info.value)
        assert not any(root.iterdir())  # neither a series folder nor a partial one
    finally:
        server.process.kill()
        server.process.wait(timeout=30)


def test_a_rejected_presentation_context_is_one_message(dimse_node, small_case, tmp_path):
    """An association whose storage context the PACS rejects (an unknown SOP class here):
    one readable refusal naming the class and transfer syntax, nothing half-sent."""
    import pydicom

    ds = pydicom.dcmread(sorted(small_case.noncontrast.glob("*.dcm"))[0])
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.826.0.1.3680043.99.1"
    path = tmp_path / "odd.dcm"
    ds.save_as(path)
    with pytest.raises(PacsError, match="accepts none of the offered presentation") as info:
        dimse.store(dimse_node, [path])
    assert "\n" not in str(info.value)


def test_an_unsupported_transfer_syntax_is_one_message(small_case, tmp_path):
    """A PACS that takes uncompressed images only, sent an RLE-compressed one: the refusal
    names the transfer syntax, and nothing is stored."""
    from pydicom.uid import RLELossless

    server = start_orthanc(tmp_path / "orthanc", AcceptedTransferSyntaxes=[
        "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"])
    try:
        ds = pydicom.dcmread(sorted(small_case.noncontrast.glob("*.dcm"))[0])
        ds.compress(RLELossless)
        path = tmp_path / "rle.dcm"
        ds.save_as(path)
        node = PacsNode("strict", ae_title="ORTHANC", port=server.dicom_port)
        with pytest.raises(PacsError, match=f"in {RLELossless}.*transfer syntax") as info:
            dimse.store(node, [path])
        assert "\n" not in str(info.value)
        assert server.rest("GET", "/instances") == []
    finally:
        server.process.kill()
        server.process.wait(timeout=30)


def test_dicom_tls(small_case, tmp_path):
    """DIMSE over TLS against Orthanc with a self-signed certificate; plain TCP is refused and
    an untrusted certificate is one readable message."""

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = start_orthanc(tmp_path / "orthanc", tls=(cert, key))
    try:
        node = PacsNode("secure", ae_title="ORTHANC", host="127.0.0.1",
                        port=server.dicom_port, tls=True, tls_ca=str(cert))
        dimse.echo(node)
        assert dimse.store(node, sorted(small_case.noncontrast.glob("*.dcm"))[:3]) == 3
        study = dimse.find(node, "STUDY", PatientID="PHANTOM-0000")[0]["StudyInstanceUID"]
        series = dimse.find(node, "SERIES", StudyInstanceUID=study)[0]["SeriesInstanceUID"]
        assert len(cache.instances(retrieval.get_series(node, study, series, expected=3,
                                                        cache_root=tmp_path / "c"))) == 3
        # C-MOVE: the PACS connects back to this workstation's storage port over TLS
        mover = PacsNode("secure", ae_title="ORTHANC", host="127.0.0.1",
                         port=server.dicom_port, tls=True, tls_ca=str(cert),
                         tls_cert=str(cert), tls_key=str(key), retrieve="move",
                         own_storage_port=server.own_port)
        assert len(cache.instances(retrieval.move_series(mover, study, series, expected=3,
                                                         cache_root=tmp_path / "m"))) == 3
        with pytest.raises(PacsError, match="needs this workstation's certificate"):
            retrieval.move_series(PacsNode("x", ae_title="ORTHANC", tls=True, retrieve="move",
                                           own_storage_port=server.own_port), study, series)
        with pytest.raises(PacsError, match="no DICOM association"):
            retrieval.get_series(PacsNode("plain", ae_title="ORTHANC", port=server.dicom_port),
                                 study, series, cache_root=tmp_path / "c")
        with pytest.raises(PacsError, match="no DICOM association"):
            dimse.echo(PacsNode("plain", ae_title="ORTHANC", port=server.dicom_port))
        other = tmp_path / "other.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(tmp_path / "k2.pem"), "-out", str(other), "-days", "1", "-subj",
                        "/CN=elsewhere"], check=True, capture_output=True)
        with pytest.raises(PacsError, match="TLS handshake failed"):
            dimse.echo(PacsNode("untrusted", ae_title="ORTHANC", port=server.dicom_port,
                                tls=True, tls_ca=str(other)))
    finally:
        server.process.kill()
        server.process.wait(timeout=30)


def test_a_batch_manifest_may_name_series_in_a_pacs(orthanc, dimse_node, tmp_path):
    """pacs://NODE/STUDY/SERIES in a manifest: the worker retrieves, then synthesises."""
    from inference.batch.manifest import read_manifest
    from inference.batch.runner import local_cluster, run_cohort
    from inference.pipeline.settings import CaseSettings

    assert main(["pacs", "add", "hospital", "--dimse",
                 f"ORTHANC@127.0.0.1:{orthanc.dicom_port}"]) == 0
    study = _study(dimse_node)["StudyInstanceUID"]
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study)
    nc = next(s for s in series if "non-contrast" in s["SeriesDescription"])
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("case,noncontrast\n"
                        f"from-pacs,pacs://hospital/{study}/{nc['SeriesInstanceUID']}\n"
                        f"missing,pacs://hospital/{study}/1.2.3.4.5.6.7\n")
    with local_cluster(1) as dask:
        outcome = run_cohort(read_manifest(manifest), tmp_path / "out", CaseSettings(), dask,
                             retries=0)
    results = {r["case"]: r for r in outcome.results}
    assert results["from-pacs"]["status"] == "ok"
    assert (tmp_path / "out" / "cases" / "from-pacs" / "synthetic_digital_contrast.nii.gz"
            ).exists()
    assert results["missing"]["status"] == "failed"
    assert "PacsError" in results["missing"]["reason"]


def test_multipart_parts_survive_any_chunking_and_truncation_is_refused():
    """WADO-RS replies are split into parts however the network cuts them; a reply that ends
    before its closing delimiter is an incomplete series, never a shorter one."""
    from inference.pacs.dicomweb import _parts

    bodies = [b"DICM" + bytes(range(256)) * 3, b"\r\n--b0undary-ish\r\n", b"x"]
    stream = b"preamble\r\n" + b"".join(
        b"--BND\r\nContent-Type: application/dicom\r\nContent-Length: %d\r\n\r\n" % len(b)
        + b + b"\r\n" for b in bodies) + b"--BND--\r\n"
    for size in (1, 2, 7, 64, len(stream)):
        chunks = [stream[i:i + size] for i in range(0, len(stream), size)]
        assert list(_parts(chunks, b"BND")) == bodies
    with pytest.raises(PacsError, match="arrived incomplete"):
        list(_parts([stream[:-12]], b"BND"))


def test_pacs_get_a_whole_study_and_reuse_the_cache(orthanc, dimse_node, capsys):
    assert main(["pacs", "add", "whole", "--dimse",
                 f"ORTHANC@127.0.0.1:{orthanc.dicom_port}"]) == 0
    study = _study(dimse_node)["StudyInstanceUID"]
    assert main(["pacs", "get", "whole", "--study", study]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("retrieved")]
    # every series there is (earlier tests may have sent SYNTHETIC ones back into it)
    assert len(lines) == len(dimse.find(dimse_node, "SERIES", StudyInstanceUID=study)) >= 2
    assert any("arterial" in ln for ln in lines) and any("non-contrast" in ln for ln in lines)
    folders = [Path(ln.rsplit(" into ", 1)[1]) for ln in lines]
    first = cache.instances(folders[0])[0]
    written = first.stat().st_mtime_ns
    assert main(["pacs", "get", "whole", "--study", study]) == 0
    assert first.stat().st_mtime_ns == written  # already cached whole: not fetched again
    with pytest.raises(PacsError, match="no series there"):
        client.retrieve_study(dimse_node, "1.2.3.4.5.6.7")


def test_c_move_cancel_and_counts(orthanc, dimse_node, tmp_path):
    from inference.errors import Cancelled
    from inference.progress import CancelToken

    node = PacsNode("test", ae_title="ORTHANC", port=orthanc.dicom_port, retrieve="move",
                    own_storage_port=orthanc.own_port)
    study = _study(dimse_node)["StudyInstanceUID"]
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study)[0]
    events = []
    client.retrieve(node, study, series["SeriesInstanceUID"], progress=events.append,
                    cache_root=tmp_path / "a")
    count = int(series["NumberOfSeriesRelatedInstances"])
    assert [e.done for e in events] == list(range(1, count + 1))
    assert events[-1].total == count  # from the PACS's pending responses
    token = CancelToken()

    def cancel_at_three(event) -> None:
        if event.done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        client.retrieve(node, study, series["SeriesInstanceUID"], progress=cancel_at_three,
                        cancel=token, cache_root=tmp_path / "b")
    assert not any((tmp_path / "b").iterdir())
    dimse.echo(dimse_node)


def test_storage_scp_answers_only_to_its_own_ae_title(tmp_path):
    """The C-MOVE destination, driven by pynetdicom as the peer: a wrong called AE title is
    rejected, the right one takes a C-ECHO and a C-STORE written as sent."""
    from pynetdicom import AE
    from pynetdicom.sop_class import CTImageStorage, Verification

    from inference.pacs.storescp import StorageServer
    from inference.phantom.demo_case import write_demo_case
    from tests.support.orthanc import free_port

    port = free_port()
    node = PacsNode("scp", ae_title="X", own_storage_port=port)
    (tmp_path / "in").mkdir()
    receiver = cache.Receiver(tmp_path / "in", "1.2.3", None, None)
    server = StorageServer(node, receiver)
    try:
        peer = AE(ae_title="PEER")
        peer.add_requested_context(Verification)
        peer.add_requested_context(CTImageStorage)
        with pytest.raises(PacsError, match="rejected the association"):
            dimse.echo(PacsNode("scp", ae_title="SOMEONE", port=port, own_ae_title="PEER"))
        assoc = peer.associate("127.0.0.1", port, ae_title="DCREVIEW")
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        case = write_demo_case(tmp_path / "case", matrix=32, slices=4)
        sent = pydicom.dcmread(sorted(case.noncontrast.glob("*.dcm"))[0])
        assert assoc.send_c_store(sent).Status == 0
        assoc.release()
    finally:
        server.shutdown()
    got = pydicom.dcmread(tmp_path / "in" / "000000.dcm")
    assert got.SOPInstanceUID == sent.SOPInstanceUID
    assert got.file_meta.SourceApplicationEntityTitle == "PEER"
    assert got.pixel_array.tobytes() == sent.pixel_array.tobytes()


def test_the_cache_keeps_under_its_cap_least_recently_used_first(orthanc, dimse_node,
                                                                  monkeypatch, capsys):
    """Retrieving past the cap evicts the series used longest ago, never the one just
    retrieved; `dcreview pacs cache` reports and clears."""
    import os

    root = cache.cache_root()
    cache.evict(0.0, root)  # earlier tests' series would be cache hits, which evict nothing
    study = _study(dimse_node)["StudyInstanceUID"]
    series = [s for s in dimse.find(dimse_node, "SERIES", StudyInstanceUID=study)
              if not s["SeriesDescription"].startswith("SYNTHETIC")]
    first = client.retrieve(dimse_node, study, series[0]["SeriesInstanceUID"])
    os.utime(first, (1, 1))  # used long ago
    monkeypatch.setenv("DCREVIEW_PACS_CACHE_GB", str(1.5 * sum(
        f.stat().st_size for f in cache.instances(first)) / 1e9))  # room for one series only
    second = client.retrieve(dimse_node, study, series[1]["SeriesInstanceUID"])
    assert second.exists() and not first.exists()
    monkeypatch.setenv("DCREVIEW_PACS_CACHE_GB", "0")  # not even one: the new one stays
    third = client.retrieve(dimse_node, study, series[0]["SeriesInstanceUID"])
    assert third.exists() and not second.exists()
    assert main(["pacs", "cache"]) == 0
    assert "1 series" in capsys.readouterr().out
    assert main(["pacs", "cache", "--clear"]) == 0
    assert not [p for p in root.iterdir() if not p.name.startswith(".")]


def test_no_patient_identifiers_in_logs(orthanc, dimse_node, web_node, caplog, capsys):
    """Search, retrieve (C-GET, WADO-RS) and the CLI listing at DEBUG: names and IDs reach
    the screen (stdout) only, never a log record."""
    import logging

    caplog.set_level(logging.DEBUG)
    study = _study(dimse_node)
    client.find_studies(web_node, PatientID="PHANTOM-0000")
    series = dimse.find(dimse_node, "SERIES", StudyInstanceUID=study["StudyInstanceUID"])
    client.retrieve(dimse_node, study["StudyInstanceUID"], series[0]["SeriesInstanceUID"])
    client.retrieve(web_node, study["StudyInstanceUID"], series[1]["SeriesInstanceUID"])
    assert main(["pacs", "add", "logs", "--dimse",
                 f"ORTHANC@127.0.0.1:{orthanc.dicom_port}"]) == 0
    assert main(["pacs", "find", "logs", "--patient-id", "PHANTOM-0000"]) == 0
    assert str(study["PatientName"]) in capsys.readouterr().out
    for identifier in ("PHANTOM-0000", str(study["PatientName"])):
        assert identifier not in caplog.text
