"""`dcreview study init|validate|assign|export|verify|summary` (headless)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inference.errors import ReaderStudyError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `study` command and its subcommands."""
    study = sub.add_parser("study", help="reader studies: init, validate, assign, read, export, "
                                         "verify, summary")
    ssub = study.add_subparsers(dest="study_command", required=True)
    init = ssub.add_parser("init", help="check a protocol, create the study folder, prepare "
                                        "every case on one grid (synthesise, register)")
    init.add_argument("protocol", help="protocol file (.toml or .json)")
    init.add_argument("--dir", required=True, help="study folder to create")
    init.add_argument("--workers", type=int, help="prepare on a local Dask cluster of N "
                                                  "workers (default: here, one case at a time)")
    init.add_argument("--scheduler", help="prepare on a running Dask scheduler tcp://HOST:PORT")
    val = ssub.add_parser("validate", help="check a protocol file; with --dir, also that it is "
                                           "the version the study runs")
    val.add_argument("protocol")
    val.add_argument("--dir")
    asg = ssub.add_parser("assign", help="write every reader's randomised reading lists")
    asg.add_argument("dir")
    exp = ssub.add_parser("export", help="long CSV, iMRMC, MRMCaov and JAFROC files")
    exp.add_argument("dir")
    exp.add_argument("--out", required=True)
    exp.add_argument("--force", action="store_true",
                     help="export even though verify reports damage (the damage is listed)")
    ver = ssub.add_parser("verify", help="check every log and seal (reads only; works on a "
                                         "read-only copy)")
    ver.add_argument("dir")
    ver.add_argument("--key", help="the coordinator's study key file, if not on this machine")
    ver.add_argument("--json", action="store_true", help="print the report as JSON")
    ver.add_argument("--witness", action="append", default=[], metavar="FILE",
                     help="a witness of the chain heads kept elsewhere (a reader's receipt "
                          "from their workstation, a coordinator's store); repeatable")
    key = ssub.add_parser("key", help="write a reader's key for their reading workstation")
    key.add_argument("dir")
    key.add_argument("--reader", required=True)
    key.add_argument("--out", required=True)
    summ = ssub.add_parser("summary", help="descriptive statistics per reader and arm")
    summ.add_argument("dir")
    summ.add_argument("--json", action="store_true", help="print JSON instead of a table")
    summ.add_argument("--gui", action="store_true", help="show tables and plots in a window")
    mrmc = ssub.add_parser("mrmc", help="MRMC analysis of an iMRMC-format score file "
                                        "(U-statistics, as iMRMC 4)")
    mrmc.add_argument("file", help="an .imrmc file (numeric or text ids)")
    mrmc.add_argument("--json", help="also write the figures to this JSON file")
    size = ssub.add_parser("size", help="readers x cases for a new study from a pilot's "
                                        "variance components")
    size.add_argument("--pilot", required=True, help="the pilot's .imrmc file")
    size.add_argument("--effect", type=float, required=True,
                      help="AUC difference to detect (e.g. 0.05)")
    size.add_argument("--power", type=float, default=0.8)
    prev = ssub.add_parser("preview", help="render every arm as a reader sees it and audit "
                                           "the blinding (needs the viewer)")
    prev.add_argument("dir")
    prev.add_argument("--out", required=True)
    read = ssub.add_parser("read", help="open the reading screen (needs a display)")
    read.add_argument("dir")
    read.add_argument("--reader", help="reader id (asked for when left out)")
    read.add_argument("--key", help="install the reader key the coordinator gave you")


def run(args: argparse.Namespace) -> int:
    """Execute a `study` subcommand.

    Long on purpose: one short branch per subcommand, the whole CLI readable in one place.
    """
    from inference.readerstudy.protocol import load_protocol
    from inference.readerstudy.store import StudyStore

    cmd = args.study_command
    if cmd in ("mrmc", "size"):
        return _run_mrmc(args)
    if cmd == "validate":
        protocol = load_protocol(args.protocol)
        print(f"protocol OK: {protocol.name!r}, {len(protocol.readers)} readers, "
              f"{len(protocol.cases)} cases, {len(protocol.arms)} arms, "
              f"{protocol.design} design; hash {protocol.hash}")
        if args.dir:
            store = StudyStore(Path(args.dir))
            if store.protocol_hash != protocol.hash:
                print(f"error: the study runs protocol {store.protocol_hash[:12]}, this file is "
                      f"{protocol.hash[:12]}", file=sys.stderr)
                return 1
            print("the study runs this version")
        return 0
    if cmd == "init":
        from contextlib import nullcontext

        from inference.batch.runner import local_cluster, scheduler
        from inference.readerstudy.layout import prepared_root
        from inference.readerstudy.prepare import prepare_study

        protocol = load_protocol(args.protocol)
        # Re-running init on the same folder re-opens it: prepared cases are skipped.
        store = StudyStore.create(Path(args.dir), protocol)
        where = (scheduler(args.scheduler) if args.scheduler else
                 local_cluster(args.workers) if args.workers else nullcontext(None))
        with where as client:
            prepare_study(protocol, prepared_root(Path(args.dir)), client=client)
        store.record_prepared()
        print(f"study {protocol.name!r} ready in {args.dir} (protocol {protocol.hash[:12]}); "
              "next: dcreview study assign")
        return 0
    if cmd == "verify":
        from inference.readerstudy.store import record_verified
        from inference.readerstudy.verify import as_json, format_report, verify_study

        report = verify_study(Path(args.dir), args.key, [Path(w) for w in args.witness])
        record_verified(report)  # outside the study folder, and only when it is intact
        print(as_json(report) if args.json else format_report(report),
              file=sys.stderr if report.problems and not args.json else sys.stdout)
        return 1 if report.problems else 0
    store = StudyStore(Path(args.dir))
    if cmd == "key":
        from inference.readerstudy.keys import export_reader_key

        if args.reader not in store.protocol.readers:
            raise ReaderStudyError(f"{args.reader[:60]!r} is not a reader of this study")
        path = export_reader_key(store._need_master(), args.reader, args.out)
        print(f"wrote {path}: give it to {args.reader} only; they install it with "
              f"`dcreview study read STUDY --reader {args.reader} --key {path.name}`")
        return 0
    if cmd == "assign":
        from inference.readerstudy.design import reader_seed

        lists = store.assign()
        for reader, readings in lists.items():
            sessions = sorted({r.session for r in readings})
            print(f"{reader}: {len(readings)} readings in {len(sessions)} session(s), "
                  f"seed {reader_seed(store.protocol.seed, reader)}")
        if store.protocol.washout_days:
            print(f"washout: {store.protocol.washout_days} days between sessions")
        return 0
    if cmd == "export":
        from inference.readerstudy.exports import export_all, roc_export_warnings

        problems = store.verify().problems
        if problems and not args.force:
            raise ReaderStudyError("verify reports damage, so nothing is exported (run "
                                   "`dcreview study verify`; --force exports anyway):\n- "
                                   + "\n- ".join(problems))
        rows = store.results()
        try:
            head = store.seal_results(f"export to {Path(args.out).name}")
        except (OSError, ReaderStudyError) as exc:
            head = store.chain_head()
            print(f"warning: the export could not be recorded in the study's log ({exc})",
                  file=sys.stderr)
        for path in export_all(store.protocol, rows, Path(args.out), head):
            print(f"wrote {path}")
        print(f"audit chain head {head} (in every exported row)")
        for warning in roc_export_warnings(store.protocol, rows):
            print(f"warning: {warning}", file=sys.stderr)
        return 0
    if cmd == "summary":
        from inference.readerstudy.statistics import study_summary

        result = study_summary(store)
        if args.json:
            print(json.dumps(result, indent=1))
        else:
            print(format_summary(result))
        return 0
    if cmd in ("read", "preview"):
        raise ReaderStudyError(f"this needs the viewer: run `dcreview study {cmd}`")
    raise ReaderStudyError(f"unknown study command {cmd}")


def _run_mrmc(args: argparse.Namespace) -> int:
    from inference.readerstudy.imrmc_file import read_imrmc
    from inference.readerstudy.mrmc import analyse, reader_component, size_study

    if args.study_command == "mrmc":
        table = read_imrmc(args.file)
        result = analyse(table)
        print("\n".join(format_mrmc(result)))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
            print(f"wrote {args.json}")
        return 0
    if not (0 < args.effect < 1) or not (0 < args.power < 1):
        raise ReaderStudyError("--effect and --power must lie between 0 and 1")
    table = read_imrmc(args.pilot)
    options = size_study(table, args.effect, args.power)
    what = (f"{table.modalities[0]} - {table.modalities[1]}" if len(table.modalities) > 1
            else f"{table.modalities[0]} vs 0.5")
    print(f"Sizing for an AUC difference of {args.effect:g} ({what}) at power "
          f"{args.power:g}, two-sided alpha 0.05, from the pilot's U-statistic moments "
          f"({len(table.readers)} readers, {len(table.normals)}+{len(table.diseased)} cases):")
    print("readers  non-diseased  diseased  SE       df(BDG)  power(BDG)  power(normal)")
    for o in options[:15]:
        print(f"{o.readers:>7}  {o.normal_cases:>12}  {o.diseased_cases:>8}  "
              f"{o.variance ** 0.5:.4f}  {o.df_bdg:>7.1f}  {o.power_bdg:>10.3f}  "
              f"{o.power_normal:>13.3f}")
    if reader_component(table) <= 0:
        print("note: the pilot shows no reader-to-reader variability (its estimate is not "
              "positive), so its figures cannot justify few readers; plan on 5 or more")
    if not options:
        print("no design up to 30 readers and 2000 cases reaches that power")
        return 1
    return 0


def format_mrmc(result: dict) -> list[str]:
    """The MRMC figures as text lines (per modality, per reader, the difference)."""
    def test_line(t: dict, what: str) -> list[str]:
        if t.get("why"):
            return [f"{what}: {t['estimate']:.4f}; no test: {t['why']}"]
        return [f"{what}: {t['estimate']:.4f}, SE {t['variance'] ** 0.5:.4f}",
                f"  normal: p={t['p_normal']:.4g}, 95% CI {t['ci_normal'][0]:.4f} to "
                f"{t['ci_normal'][1]:.4f}",
                f"  BDG df {t['df_bdg']:.2f}: p={t['p_bdg']:.4g}, 95% CI "
                f"{t['ci_bdg'][0]:.4f} to {t['ci_bdg'][1]:.4f}",
                f"  Hillis df {t['df_hillis']:.2f}: p={t['p_hillis']:.4g}, 95% CI "
                f"{t['ci_hillis'][0]:.4f} to {t['ci_hillis'][1]:.4f}"]

    lines = [f"MRMC ({result['method']}): {result['readers']} readers, "
             f"{result['normal_cases']} non-diseased + {result['diseased_cases']} diseased"]
    for m in result["modalities"]:
        lines += test_line(m["test"], f"AUC {m['name']} (reader average, vs 0.5)")
        lines.append("  per reader: " + ", ".join(f"{a:.3f}" for a in m["reader_auc"]))
    if "difference" in result:
        d = result["difference"]
        lines += test_line(d["test"], f"AUC {d['a']} - {d['b']}")
    return lines


def auc_text(a: dict) -> str:
    """An AUC with its CI, or why there is no CI (never a degenerate "0.500 (0.500-0.500)")."""
    from inference.readerstudy.statistics import auc_ci_reason

    why = auc_ci_reason(a)
    if a["auc"] is None:
        return f"n/a ({why})"
    if why:
        return f"{a['auc']:.3f} (no CI: {why})"
    return f"{a['auc']:.3f} ({a['low']:.3f}-{a['high']:.3f})"


def format_summary(s: dict) -> str:
    """The summary as plain text tables."""
    lines = [s["note"], f"protocol {s['protocol_hash'][:12]}", ""]
    if s.get("verify_problems"):
        more = len(s["verify_problems"]) - 5
        lines += ["WARNING: verify reports damage; these figures may be wrong:"] + [
            f"  - {p}" for p in s["verify_problems"][:5]] + (
            [f"  - and {more} more (dcreview study verify lists them)"] if more > 0 else [])
    if s.get("verified"):
        lines += [f"verify: {s['verified']}"] + [f"note: {n}" for n in s.get("verify_notes", [])]
        lines.append("")
    for p in s.get("progress", []):
        lines.append(f"Progress  reader {p['reader']:<8} {p['finished']}/{p['total']} read; "
                     f"next: {p['next'] or 'all done'}")
    for a in s["auc"]:
        auc = auc_text(a)
        lines.append(f"AUC  reader {a['reader']:<8} arm {a['arm']:<10} {auc}  "
                     f"n0={a['n0']} n1={a['n1']}")
    for t in s["turing"]:
        lines.append(f"Real-vs-synthetic  reader {t['reader']:<8} arm {t['arm']:<10} accuracy "
                     f"{t['accuracy']:.2f} ({t['low']:.2f}-{t['high']:.2f}), n={t['n']}")
    for lk in s["likert"]:
        lines.append(f"Likert {lk['question']}  reader {lk['reader']:<8} arm {lk['arm']:<10} "
                     f"counts {lk['counts']}")
    for g in s["agreement"]:
        extra = f", Cohen {g['cohen_kappa']:.2f}" if g.get("cohen_kappa") is not None else ""
        fk = "n/a" if g["fleiss_kappa"] is None else f"{g['fleiss_kappa']:.2f}"
        lines.append(f"Agreement {g['question']}: Fleiss kappa {fk}{extra} "
                     f"({g['items']} items, {g['readers']} readers)")
    if s.get("mrmc"):
        lines.append("")
        lines += format_mrmc(s["mrmc"]) if "modalities" in s["mrmc"] else [
            f"MRMC: {s['mrmc']['why']}"]
    if s.get("chain_head"):
        lines.append(f"audit chain head {s['chain_head']}")
    for t in s["reading_time_s"]:
        lines.append(f"Time  reader {t['reader']:<8} arm {t['arm']:<10} median "
                     f"{t['median']:.0f} s over {t['cases']} cases")
    return "\n".join(lines)
