"""Output formats of `recommender evaluate`: json, table, markdown, sarif (2.1.0), junit (XML) and svg (the
topology diagram of one proposal, drawn by drawing.py).

Each format is a writer with `begin()`, `result(result, file)` and `end(summary)`, writing as results are
produced, so a batch of any size is reported in constant memory.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import orjson

from recommender.evaluation.drawing import DrawingError, render_svg
from recommender.evaluation.evaluate import SEVERITIES
from recommender.evaluation.policy import report_findings
from recommender.knowledge import KnowledgeBase
from recommender.serialize import to_json

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning ranks by security-severity: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, else low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
TOOL_URI = "https://github.com/aws-workload-recommender"


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(threshold)


class Writer:
    def __init__(self, out: IO[bytes], kb: KnowledgeBase, fail_on: str, batch: bool):
        self.out, self.kb, self.fail_on, self.batch = out, kb, fail_on, batch
        self.first = True
        self.expand: list[str] = []  # svg: VPCs drawn in full in a folded (large) diagram

    def write(self, text: str | bytes) -> None:
        self.out.write(text.encode() if isinstance(text, str) else text)

    def begin(self) -> None:
        """Before the first result."""

    def result(self, result: Mapping[str, Any], file: str) -> None:
        raise NotImplementedError

    def end(self, summary: Mapping[str, Any]) -> None:
        """After the last result."""


class JsonWriter(Writer):
    """One proposal: exactly the API's body. Several: {"results": [...], "summary": {...}}."""

    def begin(self) -> None:
        if self.batch:
            self.write(b'{"results":[')

    def result(self, result: Mapping[str, Any], file: str) -> None:
        if not self.batch:
            self.write(to_json(result) + b"\n")
            return
        item = dict(result) if "error" not in result else {**result, "file": file}
        self.write((b"" if self.first else b",") + to_json(item))
        self.first = False

    def end(self, summary: Mapping[str, Any]) -> None:
        if self.batch:
            self.write(b'],"summary":' + to_json(summary) + b"}\n")


def _flow_line(flow: Mapping[str, Any]) -> str:
    head = f"{flow['from']} -> {flow['to']} {flow['protocol']} {flow['port']}"
    return f"{head}: reachable" if flow["reachable"] else f"{head}: BLOCKED by {flow['blocked_by']}"


def _choice_line(choice: Mapping[str, Any]) -> str:
    rec = (
        f" (recommended: {choice['recommended']})"
        if choice["recommended"] not in (None, choice["chosen"])
        else ""
    )
    gap = f", {choice['gap']:g} points below" if choice.get("gap") else ""
    return f"{choice['domain']} {choice['chosen']}: {choice['status']}{gap}{rec}"


def _error_lines(result: Mapping[str, Any], file: str) -> list[str]:
    error = result["error"]
    where = f"{file}" + (f" item {result['index']}" if result.get("index") is not None else "")
    return [f"{where}: {error['detail']}"] + [f"  {p}: {m}" for p, ms in error["errors"].items() for m in ms]


class TableWriter(Writer):
    def result(self, result: Mapping[str, Any], file: str) -> None:
        if "error" in result:
            self.write("INVALID " + "\n".join(_error_lines(result, file)) + "\n\n")
            return
        lines = [f"{result['name'] or file}: {result['verdict'].upper()} (score {result['score']:g})"]
        if result["findings"]:
            lines.append(f"  {'SEVERITY':<9} {'FINDING':<28} {'RESOURCE':<24} MESSAGE")
            for f in result["findings"]:
                mark = (
                    ""
                    if f["counted"]
                    else " [suppressed by policy]"
                    if "suppressed" in f
                    else " [acknowledged]"
                )
                lines.append(f"  {f['severity']:<9} {f['id']:<28} {f['resource']:<24} {f['message']}{mark}")
        lines += [f"  flow   {_flow_line(flow)}" for flow in result["flows"]]
        lines += [f"  choice {_choice_line(c)}" for c in result["choices"]]
        self.write("\n".join(lines) + "\n\n")

    def end(self, summary: Mapping[str, Any]) -> None:
        if self.batch:
            sev = ", ".join(f"{n} {s}" for s, n in summary["findings_by_severity"].items())
            self.write(f"{summary['total']} proposals: {summary['pass']} pass, {summary['warn']} warn, "
                       f"{summary['fail']} fail, {summary['errors']} invalid; counted findings: {sev}\n")  # fmt: skip


def _not_counted(finding: Mapping[str, Any]) -> str:
    if "acknowledged" in finding:
        return "acknowledged: " + finding["acknowledged"]["reason"]
    return "suppressed by the organisation policy: " + finding["suppressed"]["reason"]


def _policy_note(result: Mapping[str, Any]) -> str:
    policy = result["knowledge_base"].get("policy")
    return f", organisation policy {policy['name']} {policy['version']}" if policy else ""


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


class MarkdownWriter(Writer):
    """The report a review board reads: verdict, findings by severity with the fix, flows, choices."""

    def result(self, result: Mapping[str, Any], file: str) -> None:
        if "error" in result:
            self.write("## Invalid proposal\n\n```\n" + "\n".join(_error_lines(result, file)) + "\n```\n\n")
            return
        out = [f"## {_md(result['name'] or file)}: {result['verdict'].upper()}", "",
               f"Score **{result['score']:g}** / 100. Knowledge base {result['knowledge_base']['version']}"
               + _policy_note(result) + ".", ""]  # fmt: skip
        by_sev = result["summary"]["findings_by_severity"]
        out += ["| severity | counted findings |", "| --- | --- |"]
        out += [f"| {s} | {by_sev[s]} |" for s in SEVERITIES] + [""]
        for severity in SEVERITIES:
            found = [f for f in result["findings"] if f["severity"] == severity]
            if not found:
                continue
            out += [f"### {severity.title()} findings", ""]
            for f in found:
                ack, muted = f.get("acknowledged"), f.get("suppressed")
                note = (
                    f" *(accepted: {_md(ack['reason'])}, until {ack['expires'] or 'no end date'})*"
                    if ack
                    else f" *(suppressed by the organisation policy: {_md(muted['reason'])}, "
                    f"{'until ' + muted['expires'] if muted['expires'] else 'permanently'})*"
                    if muted
                    else ""
                )
                if "override" in f:
                    note += f" *(severity set by the organisation policy: {_md(f['override']['reason'])})*"
                line = (f.get("location") or {}).get("line")
                where = f" (line {line})" if line else ""
                out.append(f"- **{f['id']}** on `{_md(f['resource'])}`{where}: {_md(f['message'])}{note}")
                out.append(f"  - Fix: {_md(f['remediation'])}")
            out.append("")
        if result["flows"]:
            out += [
                "### Flows",
                "",
                "| from | to | port | reachable | path / blocked by |",
                "| --- | --- | --- | --- | --- |",
            ]
            for flow in result["flows"]:
                detail = " → ".join(flow["path"]) if flow["reachable"] else f"**{flow['blocked_by']}**"
                out.append(f"| {_md(flow['from'])} | {_md(flow['to'])} | {flow['protocol']} {flow['port']} | "
                           f"{'yes' if flow['reachable'] else 'no'} | {_md(detail)} |")  # fmt: skip
            out.append("")
        if "diagram" in result:
            out += _diagram_lines(result, file)
        if result["choices"]:
            out += [
                "### Choices",
                "",
                "| domain | chosen | status | recommended | reasons |",
                "| --- | --- | --- | --- | --- |",
            ]
            for c in result["choices"]:
                reasons = " ".join(r["reason"] for r in c["reasons"][:3])
                out.append(f"| {c['domain']} | {_md(c['chosen'])} | {c['status']} | {c['recommended'] or '-'} | "
                           f"{_md(reasons)} |")  # fmt: skip
            out.append("")
        self.write("\n".join(out) + "\n")

    def begin(self) -> None:
        self.write("# Architecture proposal evaluation\n\n")

    def end(self, summary: Mapping[str, Any]) -> None:
        if self.batch:
            self.write(f"---\n\n**{summary['total']} proposals**: {summary['pass']} pass, {summary['warn']} warn, "
                       f"{summary['fail']} fail, {summary['errors']} invalid.\n")  # fmt: skip


def _diagram_lines(result: Mapping[str, Any], file: str) -> list[str]:
    """The topology diagram embedded as an image (with --diagram), and how to save it as a file."""
    svg = render_svg(result["diagram"], title=f"Topology of {result['name'] or file}")
    data = base64.b64encode(svg).decode()
    return ["### Topology", "",
            "Green arrows pass; a red arrow ends in a bar at the hop that blocks it (hover in the SVG for the "
            f"reason). Saved as a file by `recommender evaluate {_md(file)} --format svg > topology.svg`.", "",
            f"![Topology of {_md(result['name'] or file)}](data:image/svg+xml;base64,{data})", ""]  # fmt: skip


class SvgWriter(Writer):
    """The topology diagram of one proposal as a standalone SVG (the evaluation carries its `diagram`)."""

    def result(self, result: Mapping[str, Any], file: str) -> None:
        if "error" in result:
            return
        vpcs = {n["id"] for n in result["diagram"]["nodes"] if n["kind"] == "vpc"}
        unknown = [v for v in self.expand if v not in vpcs]
        if unknown:
            raise DrawingError(f"--expand {', '.join(unknown)}: not a VPC of the proposal")
        title = f"Topology of {result['name'] or file}"
        self.write(render_svg(result["diagram"], title=title, expand=self.expand))


class SarifWriter(Writer):
    """SARIF 2.1.0 for GitHub code scanning: every finding of the knowledge base is a rule."""

    def begin(self) -> None:
        self.rule_index = {fid: i for i, fid in enumerate(report_findings(self.kb))}
        rules = [self.rule(f) for f in report_findings(self.kb).values()]
        head = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
        }
        driver = {
            "name": "recommender",
            "informationUri": TOOL_URI,
            "version": self.kb.version,
            "rules": rules,
        }
        text = (
            orjson.dumps(head)[:-1] + b',"runs":[{"tool":{"driver":' + orjson.dumps(driver) + b'},"results":['
        )
        self.write(text)

    def rule(self, finding: Any) -> dict[str, Any]:
        refs = "; ".join(f"{tool}: {', '.join(ids)}" for tool, ids in finding.references.items())
        return {
            "id": finding.id,
            "name": "".join(w.title() for w in finding.id.split("-")),
            "shortDescription": {"text": finding.title},
            "fullDescription": {"text": finding.title + (f" (equivalent checks: {refs})" if refs else "")},
            "help": {"text": f"{finding.title}. Sources: {' '.join(finding.sources)}",
                     "markdown": f"**{finding.title}**\n\nSources:\n" + "\n".join(f"- {s}" for s in finding.sources)},
            **({"helpUri": finding.sources[0]} if finding.sources else {}),
            "defaultConfiguration": {"level": SARIF_LEVEL[finding.severity]},
            "properties": {"security-severity": SECURITY_SEVERITY[finding.severity], "tags": ["security", "aws"],
                           "precision": "high", "problem.severity": SARIF_LEVEL[finding.severity]},
        }  # fmt: skip

    def result(self, result: Mapping[str, Any], file: str) -> None:
        if "error" in result:
            return
        for f in result["findings"]:
            self.write((b"" if self.first else b",") + orjson.dumps(self.sarif_result(result, f, file)))
            self.first = False

    def sarif_result(self, result: Mapping[str, Any], f: Mapping[str, Any], file: str) -> dict[str, Any]:
        location = f.get("location") or {}
        physical: dict[str, Any] = {"artifactLocation": {"uri": location.get("file") or file}}
        if location.get("line"):
            physical["region"] = {"startLine": location["line"]}
        item: dict[str, Any] = {
            "ruleId": f["id"],
            "ruleIndex": self.rule_index.get(f["id"], 0),
            "level": SARIF_LEVEL[f["severity"]],
            "message": {"text": f"{f['message']} Fix: {f['remediation']}"},
            "locations": [{
                "physicalLocation": physical,
                "logicalLocations": [{"name": f["resource"], "fullyQualifiedName": f"{result['name']}/{f['resource']}"}],
            }],
            "partialFingerprints": {"findingId/v1": f"{result['name']}/{f['id']}/{f['resource']}"},
            "properties": {"proposal": result["name"], "severity": f["severity"]},
        }  # fmt: skip
        if "acknowledged" in f:
            ack = f["acknowledged"]
            item["suppressions"] = [{"kind": "external", "status": "accepted",
                                     "justification": f"{ack['reason']} (until {ack['expires'] or 'no end date'})"}]  # fmt: skip
        elif "suppressed" in f:
            muted = f["suppressed"]
            item["suppressions"] = [{"kind": "external", "status": "accepted",
                                     "justification": f"organisation policy: {muted['reason']} "
                                                      f"(until {muted['expires'] or 'no end date: permanent'})"}]  # fmt: skip
        return item

    def end(self, summary: Mapping[str, Any]) -> None:
        self.write(b"]}]}\n")


class JunitWriter(Writer):
    """JUnit XML: one testsuite per proposal, one testcase per check; counted findings at or above
    --fail-on are failures, acknowledged ones are skipped."""

    def begin(self) -> None:
        self.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="recommender evaluate">\n')

    def result(self, result: Mapping[str, Any], file: str) -> None:
        if "error" in result:
            name = f"{file}#{result['index']}" if result.get("index") is not None else file
            message = "\n".join(_error_lines(result, file))
            self.write(f'  <testsuite name={quoteattr(name)} tests="1" failures="0" errors="1" skipped="0">\n'
                       f'    <testcase classname="proposal" name="valid"><error type="invalid" message='
                       f'{quoteattr(result["error"]["detail"])}>{xml_escape(message)}</error></testcase>\n'
                       f"  </testsuite>\n")  # fmt: skip
            return
        by_id: dict[str, list[Mapping[str, Any]]] = {}
        for f in result["findings"]:
            by_id.setdefault(f["id"], []).append(f)
        cases, failures, skipped = [], 0, 0
        suite = result["name"] or file
        for fid, finding in report_findings(self.kb).items():
            found = by_id.get(fid, [])
            failing = [f for f in found if f["counted"] and at_or_above(f["severity"], self.fail_on)]
            head = f"    <testcase classname={quoteattr(suite)} name={quoteattr(fid)} file={quoteattr(file)}"
            if failing:
                failures += 1
                text = "\n".join(f"{f['resource']}: {f['message']} Fix: {f['remediation']}" for f in failing)
                cases.append(f"{head}><failure type={quoteattr(finding.severity)} message="
                             f"{quoteattr(failing[0]['message'])}>{xml_escape(text)}</failure></testcase>")  # fmt: skip
            elif found and all("acknowledged" in f or "suppressed" in f for f in found):
                skipped += 1
                why = _not_counted(found[0])
                cases.append(f"{head}><skipped message={quoteattr(why)}/></testcase>")
            else:
                below = [f"{f['severity']}: {f['resource']}: {f['message']}" for f in found]
                out = f"<system-out>{xml_escape(chr(10).join(below))}</system-out>" if below else ""
                cases.append(f"{head}>{out}</testcase>" if out else f"{head}/>")
        self.write(f"  <testsuite name={quoteattr(suite)} tests=\"{len(cases)}\" failures=\"{failures}\" "
                   f"errors=\"0\" skipped=\"{skipped}\">\n" + "\n".join(cases) + "\n  </testsuite>\n")  # fmt: skip

    def end(self, summary: Mapping[str, Any]) -> None:
        self.write("</testsuites>\n")


WRITERS: dict[str, Callable[..., Writer]] = {
    "json": JsonWriter, "table": TableWriter, "markdown": MarkdownWriter, "sarif": SarifWriter, "junit": JunitWriter,
    "svg": SvgWriter,
}  # fmt: skip
