"""pytest plugin: line, statement, function and branch coverage of contracts/ for an ape run.

    PYTHONPATH=. ape test -p tools.coverage.plugin [pytest args]     (or: make coverage ARGS=...)

Why not `ape test --coverage`: ape asks the compiler plugin to map traces to sources
(`init_coverage_profile`, `trace_source`), and ape-solidity 0.8.6 implements neither, so ape
silently reports nothing for Solidity (whatever the compiler); its report has no branches.

How: during the run, `tracer.Recorder` asks anvil for the struct-log trace of every
transaction and call and keeps the program counters executed per contract code. The
sources are compiled again with exactly ape's standard-JSON input (taken when the session
starts: same sources and settings, so the same bytecode) plus the outputs ape does not ask
for (runtime source maps, ASTs), and `sourcemap.Coverage` maps the counters back to
statements, lines, functions and branches. A traced code is matched to its compiled contract
by its CBOR metadata, which changes with any source or setting: code of another build is
counted and ignored, never misattributed. Ape compiles changed files on their own (with the
remappings those files use: other metadata), so compile everything first with
`ape compile --force`, as `make coverage` does.

Writes `.build/coverage/coverage.json` and `.build/coverage/lcov.info`, and prints a table.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from .sourcemap import Coverage, FileReport, Program, SourceItems, metadata_label
from .tracer import Recorder

INCLUDE = re.compile(r"^contracts/")
EXCLUDE = re.compile(r"^contracts/(\.cache|mocks)/")  # dependency copy, test doubles
SELECTION = [
    "evm.bytecode.object",
    "evm.bytecode.sourceMap",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.sourceMap",
]

_recorder = Recorder()
_solc: dict = {}  # "version", "input": ape's standard-JSON input, taken at session start


def pytest_configure(config: pytest.Config) -> None:
    _recorder.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    _recorder.uninstall()


def pytest_sessionstart(session: pytest.Session) -> None:
    from ape import project

    _solc["version"], _solc["input"] = standard_input(project)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    from ape import project

    write = terminalreporter.write_line
    terminalreporter.section("contract coverage (tools/coverage)")
    if _recorder.stats["steps"] == 0:
        write("No contract code ran: nothing to report.")
        return
    output_dir = Path(project.path) / ".build" / "coverage"
    output_dir.mkdir(parents=True, exist_ok=True)
    solc_output = compile_cached(project, _solc["version"], _solc["input"], output_dir)
    reports, matched, unmatched = analyse(_solc["input"], solc_output, _recorder)
    write_outputs(output_dir, reports, _recorder)
    for line in format_table(reports):
        write(line)
    stats = _recorder.stats
    write(
        f"Traced {stats['transactions']} transactions and {stats['calls']} calls "
        f"({stats['steps']} steps): {matched} contract codes of this build ran"
        + (f", {unmatched} other codes ignored (see below)" if unmatched else "")
        + "."
    )
    if skipped := stats["batched calls not traced"]:
        write(f"Sampled out: {skipped} view calls sent in JSON-RPC batches (see tools/coverage/tracer.py).")
    if unmatched:
        write(
            "Other codes: contracts built outside contracts/ (e.g. test fixtures), or files ape recompiled"
            " on their own (other settings, so other metadata): `ape compile --force` first, as"
            " `make coverage` does, and keep contracts/ unchanged during the run."
        )
    if stats["untraced"]:
        write(f"WARNING: {stats['untraced']} requests could not be traced, e.g. {_recorder.errors[:2]}")
    write(f"Reports: {output_dir / 'coverage.json'}, {output_dir / 'lcov.info'}")


def standard_input(project) -> tuple[object, dict]:
    """Ape-solidity's own standard-JSON input for the project's sources, with the outputs
    coverage needs (output selection does not change the bytecode)."""
    from ape import compilers

    compiler = compilers.registered_compilers[".sol"]
    paths = [path for path in project.sources.paths if path.suffix == ".sol"]
    inputs = compiler.get_standard_input_json(paths, project=project)
    if len(inputs) != 1:
        raise pytest.UsageError(f"coverage handles one solc version, got {sorted(map(str, inputs))}")
    ((version, solc_input),) = inputs.items()
    solc_input["settings"]["outputSelection"] = {"*": {"*": SELECTION, "": ["ast"]}}
    return version, solc_input


def compile_cached(project, version, solc_input: dict, output_dir: Path) -> dict:
    """Compiles as ape does (py-solc-x, the project's solc); cached by the hash of the input."""
    from packaging.version import Version
    from solcx import compile_standard
    from solcx.install import get_executable

    digest = hashlib.sha256(json.dumps(solc_input, sort_keys=True).encode()).hexdigest()[:16]
    cached = output_dir / f"solc-output-{digest}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    for old in output_dir.glob("solc-output-*.json"):
        old.unlink()
    solc_output = compile_standard(
        solc_input,
        solc_binary=get_executable(version=Version(version.base_version)),
        base_path=project.path,
        allow_empty=True,
    )
    cached.write_text(json.dumps(solc_output))
    return solc_output


def analyse(solc_input: dict, solc_output: dict, recorder: Recorder) -> tuple[list[FileReport], int, int]:
    """The report per included file, and how many traced codes were / were not this build."""
    programs = []
    by_metadata: dict[bytes, str] = {}
    for path, contracts in solc_output.get("contracts", {}).items():
        for name, contract in contracts.items():
            contract_id = f"{path}:{name}"
            evm = contract["evm"]
            for kind, compiled in (("runtime", evm["deployedBytecode"]), ("init", evm["bytecode"])):
                if not compiled.get("object"):
                    continue
                code = bytes.fromhex(compiled["object"])
                programs.append(Program.build((contract_id, kind), code, compiled.get("sourceMap", "")))
                if kind == "runtime" and (label := metadata_label(code)):
                    by_metadata[label] = contract_id
    sources = [
        SourceItems.from_ast(path, source["id"], source["ast"], _content(solc_input, path))
        for path, source in sorted(solc_output["sources"].items())
        if INCLUDE.search(path) and not EXCLUDE.search(path)
    ]
    executed, jumps = {}, {}
    matched, unmatched = set(), set()
    for (cbor, kind), pcs in recorder.executed.items():
        contract_id = by_metadata.get(cbor)
        (matched if contract_id else unmatched).add(cbor)
        if contract_id:
            executed[(contract_id, kind)] = pcs
            jumps[(contract_id, kind)] = recorder.jumps.get((cbor, kind), set())
    coverage = Coverage(programs, sources, len(solc_output["sources"]))
    reports = [report for report in coverage.report(executed, jumps) if report.statements[1]]
    return reports, len(matched), len(unmatched)


def _content(solc_input: dict, path: str) -> bytes:
    return solc_input["sources"][path]["content"].encode()


def _ratio(pair: tuple[int, int]) -> str:
    hit, total = pair
    percent = f"{100 * hit / total:.1f}%" if total else "-"
    return f"{hit}/{total} {percent:>6}"


def format_table(reports: list[FileReport]) -> list[str]:
    columns = ("Lines", "Statements", "Functions", "Branches")
    width = max([len("TOTAL")] + [len(report.path) for report in reports])
    rows = [f"{'File':<{width}}  " + "  ".join(f"{column:>15}" for column in columns)]
    totals = [[0, 0] for _ in columns]
    for report in reports:
        figures = (report.lines, report.statements, report.functions, report.branches)
        for total, (hit, count) in zip(totals, figures):
            total[0] += hit
            total[1] += count
        rows.append(f"{report.path:<{width}}  " + "  ".join(f"{_ratio(figure):>15}" for figure in figures))
    rows.append(f"{'TOTAL':<{width}}  " + "  ".join(f"{_ratio((hit, count)):>15}" for hit, count in totals))
    missing = [r for r in reports if r.missed_lines or r.missed_branches or r.missed_functions]
    if missing:
        rows += ["", "Not covered:"]
    for report in missing:
        rows.append(f"  {report.path}")
        if report.missed_functions:
            rows.append(f"    functions: {', '.join(report.missed_functions)}")
        if report.missed_lines:
            rows.append(f"    lines: {', '.join(map(str, report.missed_lines))}")
        if report.missed_branches:
            rows.append(f"    branches: {', '.join(report.missed_branches)}")
    return rows


def write_outputs(output_dir: Path, reports: list[FileReport], recorder: Recorder) -> None:
    files = []
    for report in reports:
        data = asdict(report)
        data["line_hits"] = {str(line): hit for line, hit in sorted(report.line_hits.items())}
        files.append(data)
    summary = {"files": files, "traced": dict(recorder.stats)}
    (output_dir / "coverage.json").write_text(json.dumps(summary, indent=1))
    lcov = []
    for report in reports:
        lcov += ["TN:", f"SF:{report.path}"]
        for name, line, hit in report.function_hits:
            lcov += [f"FN:{line},{name}", f"FNDA:{int(hit)},{name}"]
        lcov += [f"FNF:{report.functions[1]}", f"FNH:{report.functions[0]}"]
        for number, (line, true_hit, false_hit) in enumerate(report.branch_hits):
            lcov += [f"BRDA:{line},{number},0,{int(true_hit)}", f"BRDA:{line},{number},1,{int(false_hit)}"]
        lcov += [f"BRF:{report.branches[1]}", f"BRH:{report.branches[0]}"]
        lcov += [f"DA:{line},{int(hit)}" for line, hit in sorted(report.line_hits.items())]
        lcov += [f"LF:{report.lines[1]}", f"LH:{report.lines[0]}", "end_of_record"]
    (output_dir / "lcov.info").write_text("\n".join(lcov) + "\n")
