"""Organisation policies (shared/spec/policy.md): a company's own standards layered on the shipped knowledge.

A policy is a YAML (or JSON) file, or a folder of them read as one policy, checked against the knowledge base
it is layered on exactly like the knowledge base is checked: every problem as `file:line: id: message`, all at
once (KnowledgeError). `apply_policy(kb, policy)` compiles it into a new KnowledgeBase: `disallowed` options
become exclusion rules, `preferred` ones score rules of `score` points, `required` ones the domain's
`required` rules, extra `rules` are added to their domain; every such rule has `policy=True`, so answers
mark what the policy produced with `origin: "policy"`. The shipped facts are never changed: a policy adds,
excludes, prefers, requires and re-grades. Without a policy nothing here runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from recommender.conditions import (
    ALWAYS,
    Condition,
    ConditionSyntaxError,
    compile_condition,
    is_number,
    suggest,
)
from recommender.documents import LineDict, load_yaml
from recommender.errors import DocumentError, KnowledgeError, Problem
from recommender.knowledge import (
    FAMILY_ATTRIBUTES,
    FINDING_ID,
    PRIORITIES,
    SEVERITIES,
    URL,
    Domain,
    KnowledgeBase,
    Rule,
    Source,
    _Checker,
    _display,
    _listed,
    _rule,
)
from recommender.profile import FactType, fact_types
from recommender.profile_schema import DATABASE_ENGINES, PROPOSAL_RESOURCE_TYPES, REGION_CODES

POLICY_SUFFIXES = (".yaml", ".yml", ".json")
VIOLATION = "policy-violation"  # the finding id of a proposal that breaks a disallowed or required choice
RULE_PREFIX = "POL-"
TOP_KEYS = {"policy", "version"}
OPTIONAL_KEYS = {"owner", "description", "regions", "priorities", "domains", "rules", "findings", "overrides"}
CHOICE_KINDS = ("disallowed", "preferred", "required")
# The proposal resources a policy finding may test, and their fields (recommender.evaluation.proposal's).
RESOURCE_TYPES = PROPOSAL_RESOURCE_TYPES
RESOURCE_FIELDS: dict[str, FactType] = {
    "id": FactType("label"),
    "type": FactType("enum", RESOURCE_TYPES),
    "subnet": FactType("label"),
    "security_groups": FactType("list", ()),
    "cidr": FactType("label"),
    "engine": FactType("enum", DATABASE_ENGINES),
    "port": FactType("int"),
    "publicly_accessible": FactType("bool"),
    "stateful": FactType("bool"),
}


@dataclass(frozen=True)
class Choice:
    """One `disallowed`, `preferred` or `required` entry of a domain."""

    domain: str
    kind: str
    option: str
    reason: str
    link: str | None
    score: float
    condition: Condition
    rule: str  # the id of the rule it compiles into (POL-<kind>-<option>)


@dataclass(frozen=True)
class PolicyFinding:
    """An extra proposal finding, raised for each resource of `resource` type where `condition` holds."""

    id: str
    severity: str
    title: str
    message: str
    remediation: str
    link: str | None
    resource: str | None
    condition: Condition


@dataclass(frozen=True)
class Override:
    """A built-in finding re-graded (`severity`) or suppressed, with its reason and optional expiry."""

    finding: str
    reason: str
    severity: str | None = None
    suppress: bool = False
    expires: date | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    owner: str | None
    digest: str
    path: str
    regions: tuple[str, ...] | None  # allowed Regions; None: any
    floors: Mapping[str, int]
    defaults: Mapping[str, int]
    choices: tuple[Choice, ...]
    rules: tuple[Rule, ...]
    findings: tuple[PolicyFinding, ...]
    overrides: Mapping[str, Override]

    @property
    def identity(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "digest": self.digest}

    def label(self) -> str:
        return f"policy {self.name} {self.version}"


def policy_files(path: str | os.PathLike[str]) -> list[Path]:
    """The file, or the policy files of the folder (by name; hidden names skipped). OSError if unreadable."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in POLICY_SUFFIXES and not p.name.startswith("."))
    if not root.is_file():
        raise FileNotFoundError(f"policy {root} not found")
    return [root]


def load_policy(path: str | os.PathLike[str], kb: KnowledgeBase) -> Policy:
    """Read and check the policy at `path` (a file or a folder) against `kb`. Raises KnowledgeError."""
    try:
        files = policy_files(path)
    except OSError as exc:
        raise KnowledgeError([Problem(str(path), 0, str(exc))]) from None
    if not files:
        raise KnowledgeError([Problem(str(path), 0, "no policy file (*.yaml, *.yml, *.json) in the folder")])
    checker = _Checker(Path(path))
    digest = hashlib.sha256()
    builder = _Builder(checker, kb)
    for file in files:
        data = file.read_bytes()
        digest.update(file.name.encode() + b"\0" + data + b"\0")
        try:
            node = load_yaml(data)  # JSON is YAML too, with its lines
        except DocumentError as exc:
            checker.problem(_display(file), exc.line or 1, exc.message)
            continue
        builder.read(_display(file), node)
    if checker.problems:
        raise KnowledgeError(sorted(checker.problems, key=lambda p: (p.file, p.line)))
    return builder.build("sha256:" + digest.hexdigest(), str(path))


class _Builder:
    """Collects one policy from its files, checking each against the knowledge base."""

    def __init__(self, checker: _Checker, kb: KnowledgeBase):
        self.checker, self.kb = checker, kb
        self.facts = fact_types()
        self.name: str | None = None
        self.version: str | None = None
        self.owner: str | None = None
        self.regions: tuple[str, ...] | None = None
        self.floors: dict[str, int] = {}
        self.defaults: dict[str, int] = {}
        self.choices: dict[tuple[str, str, str], Choice] = {}
        self.rules: dict[str, Rule] = {}
        self.findings: dict[str, PolicyFinding] = {}
        self.overrides: dict[str, Override] = {}

    def problem(self, file: str, line: int, message: str, rule: str | None = None) -> None:
        self.checker.problem(file, line, message, rule)

    def read(self, file: str, node: Any) -> None:
        known = self.checker.keys(file, node, TOP_KEYS, OPTIONAL_KEYS)
        if not known and (not isinstance(node, Mapping) or not set(node) >= TOP_KEYS):
            return
        name, version = str(node["policy"]).strip(), str(node["version"]).strip()
        if not name or not version:
            self.problem(file, node.line, "'policy' and 'version' must be non-empty")
        if self.name is not None and (name, version) != (self.name, self.version):
            self.problem(
                file, node.line_of("policy"),
                f"every file of a policy names the same policy and version ({self.name} {self.version})",
            )  # fmt: skip
        self.name, self.version = name, version
        if "owner" in node:
            self.owner = self.checker.text(file, node, "owner")
        if "regions" in node:
            self._regions(file, node)
        if "priorities" in node:
            self._priorities(file, node["priorities"])
        domains = node.get("domains") or {}
        if isinstance(domains, Mapping):
            for domain_id, spec in domains.items():
                self._domain(file, domains, str(domain_id), spec)
        else:
            self.problem(file, node.line_of("domains"), "'domains' maps a domain to its choices")
        for line, raw in _listed(node, "rules"):
            self._rule(file, line, raw)
        for line, raw in _listed(node, "findings"):
            self._finding(file, line, raw)
        for line, raw in _listed(node, "overrides"):
            self._override(file, line, raw)

    def _regions(self, file: str, node: LineDict) -> None:
        spec = node["regions"]
        if not self.checker.keys(file, spec, {"allowed"}, set(), "regions"):
            return
        allowed = spec["allowed"]
        if not isinstance(allowed, list) or not allowed:
            self.problem(file, spec.line_of("allowed"), "'allowed' lists at least one Region", "regions")
            return
        known = self.kb.regions or REGION_CODES
        for region in allowed:
            if region not in known:
                self.problem(
                    file,
                    spec.line_of("allowed"),
                    f"unknown Region '{region}'{suggest(region, known)}",
                    "regions",
                )
        if self.regions is not None:
            self.problem(file, node.line_of("regions"), "'regions' is given by another file of the policy")
        self.regions = tuple(dict.fromkeys(str(r) for r in allowed))  # file order: the first is the default

    def _priorities(self, file: str, spec: Any) -> None:
        if not self.checker.keys(file, spec, set(), {"floors", "defaults"}, "priorities"):
            return
        for key, target in (("floors", self.floors), ("defaults", self.defaults)):
            levels = spec.get(key) or {}
            if not isinstance(levels, Mapping):
                self.problem(
                    file, spec.line_of(key), f"'{key}' maps a priority to a level 0..5", "priorities"
                )
                continue
            for priority, level in levels.items():
                line = levels.line_of(priority) if isinstance(levels, LineDict) else spec.line_of(key)
                if priority not in PRIORITIES:
                    message = f"unknown priority '{priority}'{suggest(priority, PRIORITIES)}"
                    self.problem(file, line, message, "priorities")
                elif isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 5:
                    self.problem(file, line, f"{key}.{priority}: '{level}' is not a level 0..5", "priorities")
                elif priority in target:
                    self.problem(file, line, f"{key}.{priority} is given twice", "priorities")
                else:
                    target[priority] = level
        for priority, level in self.defaults.items():
            if level < self.floors.get(priority, 0):
                self.problem(file, getattr(spec, "line", 1),
                             f"defaults.{priority} {level} is below its floor {self.floors[priority]}",
                             "priorities")  # fmt: skip

    def _domain(self, file: str, domains: Any, domain_id: str, spec: Any) -> None:
        line = domains.line_of(domain_id) if isinstance(domains, LineDict) else 1
        domain = self.kb.domains.get(domain_id)
        if domain is None:
            self.problem(file, line, f"unknown domain '{domain_id}'{suggest(domain_id, self.kb.domains)}")
            return
        if not self.checker.keys(file, spec, set(), set(CHOICE_KINDS), domain_id):
            return
        for kind in CHOICE_KINDS:
            for item_line, raw in _listed(spec, kind):
                self._choice(file, item_line, domain, kind, raw)

    def _choice(self, file: str, line: int, domain: Domain, kind: str, raw: Any) -> None:
        required = {"option", "reason"} | ({"score"} if kind == "preferred" else set())
        optional = {"link"} | ({"when"} if kind != "disallowed" else set())
        where = f"{domain.id}.{kind}"
        if not self.checker.keys(file, raw, required, optional, where):
            return
        option = str(raw["option"])
        options = [o.id for o in domain.options]
        if domain.option(option) is None:
            self.problem(
                file, raw.line_of("option"), f"unknown option '{option}'{suggest(option, options)}", where
            )
        score = raw.get("score", 0)
        if kind == "preferred" and (not is_number(score) or not 0 < score <= 100):
            self.problem(file, raw.line_of("score"), "'score' must be a number of points 0 < score <= 100",
                         where)  # fmt: skip
            score = 0
        link = raw.get("link")
        if link is not None and (not isinstance(link, str) or not URL.match(link)):
            self.problem(file, raw.line_of("link"), f"link '{link}' is not an https URL", where)
        condition = ALWAYS
        if "when" in raw:
            try:
                family = FAMILY_ATTRIBUTES if domain.id == "instance_family" else None
                condition = compile_condition(raw["when"], self.facts, family)
            except ConditionSyntaxError as exc:
                self.problem(file, exc.line or raw.line_of("when"), str(exc), where)
        key = (domain.id, kind, option)
        if key in self.choices:
            self.problem(file, raw.line, f"'{option}' is listed twice", where)
        if (
            kind == "disallowed"
            and (domain.id, "required", option) in self.choices
            or (kind == "required" and (domain.id, "disallowed", option) in self.choices)
        ):
            self.problem(file, raw.line, f"'{option}' cannot be both disallowed and required", where)
        disallowed = {o for (d, k, o) in self.choices if d == domain.id and k == "disallowed"}
        if kind == "disallowed" and disallowed | {option} >= set(options) and len(options) > 1:
            self.problem(file, raw.line, f"the policy disallows every option of {domain.id}", where)
        self.choices[key] = Choice(
            domain=domain.id, kind=kind, option=option, reason=self.checker.text(file, raw, "reason", where),
            link=link if isinstance(link, str) else None, score=float(score), condition=condition,
            rule=f"{RULE_PREFIX}{kind}-{option}",
        )  # fmt: skip

    def _rule(self, file: str, line: int, raw: Any) -> None:
        rule_id = str(raw.get("id")) if isinstance(raw, Mapping) else None
        if not isinstance(raw, LineDict) or "domain" not in raw:
            self.problem(file, getattr(raw, "line", line), "a policy rule names its 'domain'", rule_id)
            return
        domain = self.kb.domains.get(str(raw["domain"]))
        if domain is None:
            self.problem(file, raw.line_of("domain"),
                         f"unknown domain '{raw['domain']}'{suggest(raw['domain'], self.kb.domains)}", rule_id)  # fmt: skip
            return
        body = LineDict({k: v for k, v in raw.items() if k != "domain"}, line=raw.line)
        body.key_lines = dict(raw.key_lines)
        options = list(domain.options)
        rule = _rule(
            self.checker, file, domain.id, body, line, self.facts, options, domain.id == "instance_family"
        )
        if rule is None:
            return
        if not rule.id.startswith(RULE_PREFIX):
            self.problem(file, raw.line_of("id"), f"a policy rule's id starts with {RULE_PREFIX}", rule.id)
        if rule.id in self.rules or any(
            r.id == rule.id for d in self.kb.domains.values() for r in d.all_rules
        ):
            self.problem(file, raw.line_of("id"), "duplicate rule id", rule.id)
        self.rules[rule.id] = dataclasses.replace(rule, policy=True)

    def _finding(self, file: str, line: int, raw: Any) -> None:
        finding_id = str(raw.get("id")) if isinstance(raw, Mapping) else None
        if not self.checker.keys(
            file, raw, {"id", "severity", "title", "when", "message", "remediation"}, {"link"}, finding_id
        ):
            return
        assert finding_id is not None
        if not FINDING_ID.match(finding_id):
            self.problem(file, raw.line_of("id"), "finding id must be kebab-case", finding_id)
        if finding_id in self.kb.findings or finding_id == VIOLATION or finding_id in self.findings:
            self.problem(file, raw.line_of("id"), "duplicate finding id (built-in, policy-violation or twice)",
                         finding_id)  # fmt: skip
        severity = str(raw["severity"])
        if severity not in SEVERITIES:
            self.problem(file, raw.line_of("severity"),
                         f"unknown severity '{severity}'{suggest(severity, SEVERITIES)}", finding_id)  # fmt: skip
        when: Any = raw["when"]
        resource, condition = None, ALWAYS
        if isinstance(when, LineDict) and "resource" in when:
            resource = str(when["resource"])
            if resource not in RESOURCE_TYPES:
                self.problem(file, when.line_of("resource"),
                             f"unknown resource type '{resource}'{suggest(resource, RESOURCE_TYPES)}", finding_id)  # fmt: skip
            rest = LineDict({k: v for k, v in when.items() if k != "resource"}, line=when.line)
            when = rest if rest else None
        if when is not None:
            try:
                condition = compile_condition(when, RESOURCE_FIELDS)
            except ConditionSyntaxError as exc:
                self.problem(file, exc.line or raw.line_of("when"), str(exc), finding_id)
        link = raw.get("link")
        if link is not None and (not isinstance(link, str) or not URL.match(link)):
            self.problem(file, raw.line_of("link"), f"link '{link}' is not an https URL", finding_id)
        self.findings[finding_id] = PolicyFinding(
            id=finding_id, severity=severity, title=self.checker.text(file, raw, "title", finding_id),
            message=self.checker.text(file, raw, "message", finding_id),
            remediation=self.checker.text(file, raw, "remediation", finding_id),
            link=link if isinstance(link, str) else None, resource=resource, condition=condition,
        )  # fmt: skip

    def _override(self, file: str, line: int, raw: Any) -> None:
        if not self.checker.keys(
            file, raw, {"finding", "reason"}, {"severity", "suppress", "expires"}, "overrides"
        ):
            return
        finding = str(raw["finding"])
        if finding not in self.kb.findings:
            self.problem(file, raw.line_of("finding"),
                         f"unknown finding '{finding}'{suggest(finding, self.kb.findings)}", "overrides")  # fmt: skip
        if ("severity" in raw) == ("suppress" in raw):
            self.problem(
                file, raw.line, "an override has exactly one of 'severity' and 'suppress: true'", finding
            )
        if "suppress" in raw and raw["suppress"] is not True:
            self.problem(file, raw.line_of("suppress"), "'suppress' can only be true", finding)
        severity = raw.get("severity")
        if severity is not None and severity not in SEVERITIES:
            self.problem(file, raw.line_of("severity"),
                         f"unknown severity '{severity}'{suggest(severity, SEVERITIES)}", finding)  # fmt: skip
        expires = _date(raw.get("expires"))
        if expires is not None and not isinstance(expires, date):
            self.problem(
                file, raw.line_of("expires"), f"expires '{expires}' is not a date (YYYY-MM-DD)", finding
            )
            expires = None
        if finding in self.overrides:
            self.problem(file, raw.line, "the finding is overridden twice", finding)
        self.overrides[finding] = Override(
            finding=finding, reason=self.checker.text(file, raw, "reason", finding),
            severity=str(severity) if severity is not None else None, suppress=raw.get("suppress") is True,
            expires=expires,
        )  # fmt: skip

    def build(self, digest: str, path: str) -> Policy:
        assert self.name is not None and self.version is not None
        return Policy(
            name=self.name, version=self.version, owner=self.owner, digest=digest, path=path,
            regions=self.regions, floors=MappingProxyType(dict(self.floors)),
            defaults=MappingProxyType(dict(self.defaults)), choices=tuple(self.choices.values()),
            rules=tuple(self.rules.values()), findings=tuple(self.findings.values()),
            overrides=MappingProxyType(dict(self.overrides)),
        )  # fmt: skip


def _date(value: Any) -> Any:
    """A YAML date as is; a JSON 'YYYY-MM-DD' text as a date; anything else unchanged (a problem)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def choice_rule(choice: Choice) -> Rule:
    """The rule a domain choice compiles into (its link is its source)."""
    return Rule(
        id=choice.rule,
        domain=choice.domain,
        condition=choice.condition,
        targets=(choice.option,),
        score=choice.score,
        exclude=choice.kind == "disallowed",
        priority="fit",  # a policy's points are its own, not weighed by the profile's priorities
        reason=choice.reason,
        sources=(choice.link,) if choice.link else (),
        caveat=None,
        origin=Source("policy", 0),
        policy=True,
    )


def apply_policy(kb: KnowledgeBase, policy: Policy | None) -> KnowledgeBase:
    """The knowledge base with the policy layered on it (kb itself when there is none)."""
    if policy is None:
        return kb
    domains = dict(kb.domains)
    for domain_id, domain in kb.domains.items():
        choices = [c for c in policy.choices if c.domain == domain_id]
        extra = [r for r in policy.rules if r.domain == domain_id]
        if not choices and not extra:
            continue
        added = [choice_rule(c) for c in choices if c.kind != "required"] + extra
        required = tuple(choice_rule(c) for c in choices if c.kind == "required")
        domains[domain_id] = dataclasses.replace(domain, rules=domain.rules + tuple(added), required=required)
    return dataclasses.replace(kb, domains=MappingProxyType(domains), policy=policy)


def load_with_policy(kb: KnowledgeBase, path: str | os.PathLike[str] | None) -> KnowledgeBase:
    """`kb` with the policy at `path` layered on it (kb itself for no path). Raises KnowledgeError."""
    if not path:
        return kb
    return apply_policy(kb, load_policy(path, kb))
