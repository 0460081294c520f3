"""The diagram (diagram.py) drawn as a standalone SVG by Graphviz's `dot` (Debian package `graphviz`).

VPCs and subnets are clusters (boxes holding their resources); transit gateways, VPNs, on-premises
networks and the internet are nodes at the edges; peerings, attachments, VPNs and internet gateways are
undirected links. Each flow is an arrow: green when it passes; red, ending in a bar at the hop that blocks
it, when it does not (then a grey dotted arrow on to the target it never reaches). Hovering shows the
reason, the hops and, for imported elements, where they were declared (file:line): the tooltips are the
SVG <title> of each element.

Above COLLAPSE_SUBNETS subnets, subnets are folded into their VPC (each resource names its subnet) so that
large proposals stay legible; `expand` lists VPCs to draw in full anyway.

The same diagram gives the same bytes (dot is deterministic; its version comment is dropped).
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from recommender.errors import RecommenderError

COLLAPSE_SUBNETS = 100
DOT_TIMEOUT_SECONDS = 60
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

GREEN, RED, GREY, BLUE = "#1a7f37", "#cf222e", "#8c959f", "#0b5cad"
SHAPES = {
    "transit_gateway": ("hexagon", "#fff4d6"),
    "vpn": ("diamond", "#fff4d6"),
    "on_premises": ("box3d", "#eef0f3"),
    "internet": ("ellipse", "#e4efff"),
    "rds": ("cylinder", "#ffffff"),
}
LINK_STYLE = {
    "peering": f'color="{BLUE}", penwidth=2',
    "attachment": f'color="{BLUE}"',
    "vpn": f'color="{BLUE}", style=dashed',
    "internet_gateway": f'color="{GREY}"',
}
LEGEND = (
    "green: the flow passes \u00b7 red, with a bar: blocked at that hop\n"
    "grey dotted: not reached \u00b7 hover for the reason"
)


class DrawingError(RecommenderError):
    """The diagram cannot be drawn here (Graphviz missing or failing)."""


def quote(text: Any) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, so no label can add attributes."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _where(node: Mapping[str, Any]) -> str:
    origin = node.get("origin")
    if not origin:
        return ""
    place = ":".join(str(origin[k]) for k in ("file", "line") if k in origin)
    logical = f" ({origin['logical_id']})" if origin.get("logical_id") else ""
    return f"\ndeclared at {place}{logical}"


class _Dot:
    """Writes the DOT text of one diagram."""

    def __init__(self, diagram: Mapping[str, Any], expand: Collection[str]):
        self.d = diagram
        self.nodes = {n["id"]: n for n in diagram["nodes"]}
        self.children: dict[str | None, list[Mapping[str, Any]]] = {}
        for n in diagram["nodes"]:
            self.children.setdefault(n["parent"], []).append(n)
        subnets = sum(1 for n in diagram["nodes"] if n["kind"] == "subnet")
        collapse = subnets > COLLAPSE_SUBNETS
        self.collapsed = {n["id"] for n in diagram["nodes"] if n["kind"] == "vpc" and collapse} - set(expand)
        # folded VPCs draw only the resources that flows or links touch; the others are named in a note
        self.touched = {str(f[end]) for f in diagram["flows"] for end in ("from", "to")}
        self.touched |= {str(n) for f in diagram["flows"] for n in f["hop_nodes"] if n is not None}
        self.touched |= {str(link[end]) for link in diagram["links"] for end in ("from", "to")}
        self.anchors: dict[str, str] = {}  # cluster id -> a node drawn inside it (for edges to the cluster)
        self.lines: list[str] = []

    def is_cluster(self, node_id: str) -> bool:
        kind = self.nodes[node_id]["kind"]
        if kind == "vpc":
            return True
        return kind == "subnet" and self.nodes[node_id]["parent"] not in self.collapsed

    def drawn(self, node_id: str | None) -> str | None:
        """The element a node is drawn as: a folded subnet is drawn as its VPC."""
        if node_id is None or node_id not in self.nodes:
            return None
        node = self.nodes[node_id]
        if node["kind"] == "subnet" and node["parent"] in self.collapsed:
            return str(node["parent"])
        return node_id

    def text(self) -> str:
        out = self.lines
        out.append("digraph topology {")
        if self.collapsed:  # a large proposal: fewer layout passes, so that it is drawn in about a second
            out.append("graph [mclimit=0.3, nslimit=1];")
        out.append(f'graph [compound=true, rankdir=LR, newrank=true, fontname="Helvetica", fontsize=12, '
                   f"nodesep=0.25, ranksep=0.7, labelloc=b, label={quote(LEGEND)}, tooltip={quote('Topology')}];")  # fmt: skip
        out.append(
            'node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff"];'
        )
        out.append('edge [fontname="Helvetica", fontsize=9];')
        for node in self.children.get(None, []):
            self.element(node, "  ")
        for link in self.d["links"]:
            self.link(link)
        for index, flow in enumerate(self.d["flows"]):
            self.flow(index, flow)
        out.append("}")
        return "\n".join(out) + "\n"

    def element(self, node: Mapping[str, Any], pad: str) -> str | None:
        """Write a node or a cluster; returns a node drawn inside it (None for an empty cluster)."""
        node_id = str(node["id"])
        if node["kind"] == "vpc" or (node["kind"] == "subnet" and node["parent"] not in self.collapsed):
            return self.cluster(node, pad)
        if node["kind"] == "subnet":  # folded into its VPC: named by its resources
            return None
        label, tooltip = self.describe(node)
        shape, fill = SHAPES.get(str(node["kind"]), ("box", "#ffffff"))
        self.lines.append(f"{pad}{quote(node_id)} [id={quote('node-' + node_id)}, class={quote('node ' + node['kind'])}, "
                          f"label={quote(label)}, tooltip={quote(tooltip)}, shape={shape}, fillcolor={quote(fill)}];")  # fmt: skip
        return node_id

    def describe(self, node: Mapping[str, Any]) -> tuple[str, str]:
        kind, node_id = str(node["kind"]), str(node["id"])
        label = str(node["label"])
        if node["parent"] is not None and kind not in ("vpc", "subnet"):
            label = f"{node_id}\n{kind}"
            subnet = self.nodes.get(str(node["parent"]))
            if subnet is not None and subnet["parent"] in self.collapsed:
                label += f" \u00b7 {subnet['id']}"
        elif kind in ("on_premises", "internet", "transit_gateway", "vpn") and node_id not in label:
            label = f"{node_id}\n{label}"
        elif "cidr" in node and kind not in ("vpc", "subnet") and str(node["cidr"]) not in label:
            label = f"{label}\n{node['cidr']}"
        tooltip = f"{node_id} ({kind.replace('_', ' ')})"
        if "cidr" in node:
            tooltip += f" {node['cidr']}"
        return label, tooltip + _where(node)

    def cluster(self, node: Mapping[str, Any], pad: str) -> str | None:
        node_id, kind = str(node["id"]), node["kind"]
        label, tooltip = self.describe(node)
        if kind == "vpc":
            style = f'style="rounded,filled", fillcolor="#f4f8fd", color="{BLUE}", penwidth=1.5'
            if node_id in self.collapsed:
                count = sum(1 for c in self.children.get(node_id, []) if c["kind"] == "subnet")
                label += f"\n{count} subnets folded"
        else:
            fill = "#eaf7ec" if node.get("public") else "#fbf8f0"
            style = f'style="rounded,filled,dashed", fillcolor="{fill}", color="#6e7781"'
        classes = f"cluster {kind}" + (" folded" if node_id in self.collapsed else "")
        self.lines.append(f"{pad}subgraph {quote('cluster_' + node_id)} {{")
        self.lines.append(f"{pad}  id={quote('cluster-' + node_id)}; class={quote(classes)}; "
                          f"label={quote(label)}; tooltip={quote(tooltip)}; {style.replace(', ', '; ')};")  # fmt: skip
        inside: str | None = None
        children = self.children.get(node_id, [])
        if node_id in self.collapsed:  # the resources of its subnets sit in the VPC directly
            subnets = [c for c in children if c["kind"] == "subnet"]
            resources = [r for s in subnets for r in self.children.get(s["id"], [])]
            children = [c for c in children if c["kind"] != "subnet"] + [
                r for r in resources if r["id"] in self.touched
            ]
            quiet = [str(r["id"]) for r in resources if r["id"] not in self.touched]
            empty = [str(s["id"]) for s in subnets
                     if not any(r["id"] in self.touched for r in self.children.get(s["id"], []))]  # fmt: skip
            note = _listed(f"{len(quiet)} resources in no flow", quiet) + _listed(
                "subnets with no resource in a flow", empty
            )
            if note:
                note_id = f"note:{node_id}"
                self.lines.append(f'{pad}  {quote(note_id)} [id={quote("note-" + node_id)}, shape=plaintext, '
                                  f'style="", fontsize=8, label={quote(note.strip())}];')  # fmt: skip
                inside = note_id
        for child in children:
            drawn = self.element(child, pad + "  ")
            inside = inside or drawn
        if inside is None:  # an empty cluster is not drawn by dot: give it an invisible point
            inside = f"anchor:{node_id}"
            self.lines.append(f'{pad}  {quote(inside)} [shape=point, style=invis, width=0.05, label=""];')
        self.lines.append(f"{pad}}}")
        self.anchors[node_id] = inside
        return inside

    def end(self, node_id: str) -> tuple[str, str | None]:
        """The DOT node an edge to `node_id` is attached to, and the cluster it is clipped at."""
        if node_id in self.anchors:
            return self.anchors[node_id], f"cluster_{node_id}"
        return node_id, None

    def edge(self, a: str, b: str, attributes: str, *, free: bool = False) -> None:
        (tail, ltail), (head, lhead) = self.end(a), self.end(b)
        if free:  # placed by the other edges (dot fails on such edges when they are clipped at a cluster)
            attributes += ", constraint=false"
            ltail = lhead = None
        if ltail:
            attributes += f", ltail={quote(ltail)}"
        if lhead:
            attributes += f", lhead={quote(lhead)}"
        self.lines.append(f"  {quote(tail)} -> {quote(head)} [{attributes}];")

    def link(self, link: Mapping[str, Any]) -> None:
        a, b = self.drawn(link["from"]), self.drawn(link["to"])
        if a is None or b is None or a == b:
            return
        kind = str(link["kind"])
        style = LINK_STYLE.get(kind, "")
        label = str(link["id"]) if kind == "peering" else ""
        tooltip = f"{kind.replace('_', ' ')} {link['id']}: {link['from']} \u2013 {link['to']}"
        if link.get("routes") is False:
            style += ", style=dashed"
            label += " (no routes)" if label else "no routes"
            tooltip += " (no routes)"
        self.edge(a, b, f"id={quote('link-' + str(link['id']))}, class={quote('link ' + kind)}, dir=none, "
                        f"{style}, label={quote(label)}, tooltip={quote(tooltip)}", free=bool(self.collapsed))  # fmt: skip

    def flow(self, index: int, flow: Mapping[str, Any]) -> None:
        source, target = str(flow["from"]), str(flow["to"])
        title = f"{source} \u2192 {target} {flow.get('protocol', 'tcp')} {flow['port']}"
        common = f"penwidth=2, fontcolor={{color}}, color={{color}}, id={quote(f'flow-{index}')}"
        if flow["reachable"]:
            tooltip = f"{title}: reachable\n" + " \u2192 ".join(flow["hops"])
            self.edge(source, target, common.format(color=quote(GREEN)) + ", class=\"flow-passes\", "
                      f"label={quote(flow['port'])}, tooltip={quote(tooltip)}")  # fmt: skip
            return
        at = flow["blocked_at"]
        hop, node = flow["hops"][at], self.drawn(flow["hop_nodes"][at])
        passed = " \u2192 ".join(flow["hops"][:at])
        tooltip = f"{title}: BLOCKED at {hop}\n{flow['reason']}\npassed: {passed}"
        red = (
            common.format(color=quote(RED))
            + f', class="flow-blocked", arrowhead=tee, tooltip={quote(tooltip)}'
        )
        label = f"\u2715 {flow['port']}"
        source_side = node is None or node in set(self._up(self.drawn(source)))
        if source_side:  # stopped where it starts: a dashed arrow with the bar at the source
            self.edge(source, target, f"{red}, label={quote(label)}, style=dashed, dir=both, arrowtail=tee, "
                                      "arrowhead=none")  # fmt: skip
            return
        if node == self.drawn(target):
            self.edge(source, target, f"{red}, label={quote(label)}")
            return
        assert node is not None
        self.edge(source, node, f"{red}, label={quote(label)}")
        if node not in set(self._up(self.drawn(target))):
            self.edge(node, target, f'id={quote(f"flow-{index}-unreached")}, class="flow-unreached", '
                                    f'color="{GREY}", style=dotted, tooltip={quote(title + ": not reached")}')  # fmt: skip

    def _up(self, node_id: str | None) -> Iterable[str]:
        while node_id is not None and node_id in self.nodes:
            yield node_id
            node_id = self.drawn(self.nodes[node_id]["parent"])


def _listed(heading: str, ids: list[str], per_row: int = 4) -> str:
    if not ids:
        return ""
    rows = [", ".join(ids[i : i + per_row]) for i in range(0, len(ids), per_row)]
    return f"{heading}:\n" + "\n".join(rows) + "\n"


def to_dot(diagram: Mapping[str, Any], *, expand: Collection[str] = ()) -> str:
    """The DOT text of a diagram (the evaluation's `diagram` section)."""
    return _Dot(diagram, expand).text()


def render_svg(diagram: Mapping[str, Any], *, title: str = "Topology", expand: Collection[str] = ()) -> bytes:
    """A standalone SVG of the diagram. DrawingError when Graphviz's dot is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise DrawingError(
            "Drawing the diagram needs Graphviz's 'dot' (Debian package graphviz), which is not installed."
        )
    try:
        done = subprocess.run([dot, "-Tsvg"], input=to_dot(diagram, expand=expand).encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_SECONDS, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DrawingError(
            f"Graphviz took more than {DOT_TIMEOUT_SECONDS} s to lay the diagram out."
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise DrawingError(f"Graphviz could not draw the diagram: {detail[0]}")
    return _tooltips_as_titles(done.stdout, title)


def _tooltips_as_titles(svg: bytes, title: str) -> bytes:
    """Each element's tooltip (dot writes it as the link title) becomes its <title>, which browsers show on
    hover and screen readers read; the document gets a title and role; dot's comments are dropped."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    s, x = f"{{{SVG_NS}}}", f"{{{XLINK_NS}}}"
    for group in root.iter(f"{s}g"):
        heading, link = group.find(f"{s}title"), group.find(f"{s}g/{s}a")
        if link is None:
            link = group.find(f"{s}a")
        if heading is not None and link is not None and link.get(f"{x}title"):
            heading.text = link.get(f"{x}title")
    top = root.find(f"{s}g/{s}title")
    if top is not None:
        top.text = title
    root.set("role", "img")
    root.set("aria-label", title)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(root, encoding="utf-8", xml_declaration=False)
        + b"\n"
    )
