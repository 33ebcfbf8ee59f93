"""`dcreview pacs add|list|echo|find|get|cache|send`: PACS nodes, query/retrieve, the cache,
sending results back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.pacs.query_terms import name_pattern


def add_parser(sub) -> None:
    """The `pacs` command and its subcommands."""
    pacs = sub.add_parser("pacs", help="PACS nodes; query, retrieve, send results back")
    psub = pacs.add_subparsers(dest="pacs_command", required=True)
    add = psub.add_parser("add", help="add or replace a node in the per-user settings")
    add.add_argument("name")
    add.add_argument("--dimse", metavar="AET@HOST:PORT", help="a DIMSE node")
    add.add_argument("--own-ae-title", default="DCREVIEW")
    add.add_argument("--move-port", type=int, help="retrieve by C-MOVE to this workstation's "
                                                  "storage port (default: C-GET)")
    add.add_argument("--dicomweb", metavar="URL", help="a DICOMweb node (base URL)")
    add.add_argument("--user")
    add.add_argument("--password")
    add.add_argument("--bearer-token")
    add.add_argument("--no-verify-tls", action="store_true")
    add.add_argument("--tls", action="store_true", help="DICOM TLS for a DIMSE node")
    add.add_argument("--tls-ca", default="", help="certificate(s) to trust for the PACS")
    add.add_argument("--tls-cert", default="", help="this workstation's certificate (where the "
                     "PACS asks for one, and for C-MOVE over TLS)")
    add.add_argument("--tls-key", default="")
    psub.add_parser("list", help="the configured nodes")
    echo = psub.add_parser("echo", help="test the connection (C-ECHO or a QIDO request)")
    echo.add_argument("name")
    find = psub.add_parser("find", help="search studies, or a study's series")
    find.add_argument("name")
    find.add_argument("--patient-id", default="")
    find.add_argument("--patient-name", default="", help="'Doe, Jane' or DOE^JANE*; shown on "
                      "screen only, never logged")
    find.add_argument("--date", default="", help="YYYYMMDD or YYYYMMDD-YYYYMMDD")
    find.add_argument("--modality", default="")
    find.add_argument("--accession", default="")
    find.add_argument("--study", help="list this study's series instead")
    get = psub.add_parser("get", help="retrieve a series, or a whole study, into the local "
                                      "cache")
    get.add_argument("name")
    get.add_argument("--study", required=True)
    get.add_argument("--series", help="one series (default: every series of the study)")
    cached = psub.add_parser("cache", help="where the retrieval cache is, its size and cap")
    cached.add_argument("--clear", action="store_true", help="remove every cached series")
    send = psub.add_parser("send", help="send dcreview's results (SYNTHETIC series, SR) back")
    send.add_argument("name")
    send.add_argument("paths", nargs="+", help="DICOM files or folders")
    send.add_argument("--yes", action="store_true", help="confirm the destination")


def _parse_dimse(text: str) -> tuple[str, str, int]:
    from inference.pacs.nodes import PacsError

    try:
        aet, rest = text.split("@", 1)
        host, port = rest.rsplit(":", 1)
        return aet, host, int(port)
    except ValueError as exc:
        raise PacsError(f"--dimse {text!r}: write AET@HOST:PORT") from exc


def own_results(paths: list[str]) -> tuple[list[Path], int]:
    """The files to send: only dcreview's own results (SYNTHETIC-labelled images, SRs), and
    how many files that are not DICOM were skipped (a synthesize output folder also holds its
    NIfTI and report). Refused when a DICOM file is not a result, or nothing is left."""
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    from inference.io.dicom.header import looks_like_dicom
    from inference.pacs.nodes import PacsError

    candidates: list[Path] = []
    for p in map(Path, paths):
        candidates += sorted(f for f in p.rglob("*") if f.is_file()
                             and not f.name.startswith(".")) if p.is_dir() else [p]
    files, skipped = [], 0
    for f in candidates:
        if not looks_like_dicom(f):
            skipped += 1
            continue
        try:
            ds = dcmread(f, stop_before_pixels=True)
        except (InvalidDicomError, OSError, EOFError, ValueError) as exc:
            raise PacsError(f"{f.name} is damaged DICOM ({type(exc).__name__}): nothing was "
                            "sent") from exc
        image_type = [str(v).upper() for v in ds.get("ImageType", [])]
        if ds.get("Modality") != "SR" and "SYNTHETIC" not in image_type:
            raise PacsError(f"{f.name} is not a dcreview result (no SYNTHETIC image type, not "
                            "an SR): only results are sent back")
        files.append(f)
    if not files:
        raise PacsError(f"no DICOM result to send there ({skipped} file(s) that are not DICOM "
                        "skipped)")
    return files, skipped


def run(args: argparse.Namespace) -> int:
    """Execute `dcreview pacs ...`."""
    from inference.pacs import client
    from inference.pacs.nodes import (
        PacsNode,
        get_node,
        load_nodes,
        normalised,
        save_nodes,
        validate,
    )

    cmd = args.pacs_command
    if cmd == "add":
        node = PacsNode(args.name, own_ae_title=args.own_ae_title)
        if args.dicomweb:
            node.kind, node.url = "dicomweb", args.dicomweb.rstrip("/")
            node.username, node.password = args.user or "", args.password or ""
            node.bearer_token = args.bearer_token or ""
            node.verify_tls = not args.no_verify_tls
        else:
            node.ae_title, node.host, node.port = _parse_dimse(args.dimse or "")
            node.tls, node.tls_ca = args.tls, args.tls_ca
            node.tls_cert, node.tls_key = args.tls_cert, args.tls_key
            if args.move_port:
                node.retrieve, node.own_storage_port = "move", args.move_port
        node = normalised(node)
        validate(node)
        nodes = load_nodes()
        nodes[node.name] = node
        print(f"saved {node.describe()} in {save_nodes(nodes)}")
        return 0
    if cmd == "list":
        for node in load_nodes().values():
            print(node.describe())
        return 0
    if cmd == "cache":
        from inference.pacs import cache

        root = cache.cache_root()
        if args.clear:
            removed = cache.evict(0.0, root)
            print(f"removed {len(removed)} cached series from {root}")
            return 0
        count, size = cache.usage(root)
        print(f"{root}: {count} series, {size / 1e9:.2f} GB of {cache.cap_gb():g} GB "
              "(DCREVIEW_PACS_CACHE_GB sets the cap; least recently used go first)")
        return 0
    node = get_node(args.name)
    if cmd == "echo":
        client.test_connection(node)
        print(f"{node.describe()}: OK")
        return 0
    if cmd == "find":
        if args.study:
            rows = client.find_series(node, args.study)
            for r in rows:
                print(f"{r['SeriesInstanceUID']}  {r['Modality']:<3} "
                      f"{r['NumberOfSeriesRelatedInstances']:>5} images  "
                      f"{r['SeriesDescription']}")
            return 0
        filters = {k: v for k, v in (("PatientID", args.patient_id),
                                     ("PatientName", name_pattern(args.patient_name)),
                                     ("StudyDate", args.date), ("ModalitiesInStudy",
                                                                args.modality),
                                     ("AccessionNumber", args.accession)) if v}
        for r in client.find_studies(node, **filters):  # names on screen, never in a log
            print(f"{r['StudyInstanceUID']}  {r['StudyDate']}  {r['PatientName']}  "
                  f"{r['StudyDescription']}  ({r['NumberOfStudyRelatedSeries']} series)")
        return 0
    if cmd == "get":
        from inference.progress import TerminalProgress

        if args.series:
            folder = client.retrieve(node, args.study, args.series,
                                     progress=TerminalProgress())
            print(f"retrieved into {folder}")
            return 0
        for row, folder in client.retrieve_study(node, args.study,
                                                 progress=TerminalProgress()):
            print(f"retrieved {row['SeriesDescription'] or row['SeriesInstanceUID']} into "
                  f"{folder}")
        return 0
    if cmd == "send":
        files, skipped = own_results(args.paths)
        if skipped:
            print(f"skipped {skipped} file(s) that are not DICOM", file=sys.stderr)
        if not args.yes:
            if not sys.stdin.isatty():
                print(f"error: sending {len(files)} file(s) to {node.describe()} needs --yes",
                      file=sys.stderr)
                return 2
            if input(f"send {len(files)} file(s) to {node.describe()}? [y/N] ").lower() != "y":
                return 1
        n = client.store(node, files)
        print(f"sent {n} file(s) to {node.describe()}")
        return 0
    raise AssertionError(cmd)
