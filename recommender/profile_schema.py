"""The workload profile's marshmallow schemas (shared/spec/profile.md): the single definition of the input.

The engine validates with them (recommender.profile), the API reuses them, and the JSON Schema served to
portals is generated from them.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from recommender.schema_fields import Label, StrictBoolean, StrictInteger, StrictNumber, StrictSchema

LEVELS = validate.Range(min=0, max=5)
WORKLOAD_KINDS = (
    "web", "api", "batch", "hpc", "ml_training", "ml_inference", "in_memory_cache", "relational_db",
    "nosql_db", "analytics", "data_warehouse", "streaming", "dev_test", "graphics",
)  # fmt: skip
DATABASE_ENGINES = (
    "mysql",
    "mariadb",
    "postgres",
    "aurora-mysql",
    "aurora-postgresql",
    "sqlserver",
    "oracle",
)
# The resource types of an architecture proposal (shared/spec/proposal.md), which policies name too.
PROPOSAL_RESOURCE_TYPES = (
    "ec2",
    "ecs_service",
    "eks_pod",
    "lambda",
    "rds",
    "load_balancer",
    "on_premises",
    "internet",
)
BACKUP_SCOPES = ("whole_server", "volumes", "files", "databases")
# AWS Region codes, generated with the EC2 catalogue (scripts/generate_catalogue.py).
REGION_CODES: tuple[str, ...] = tuple(
    json.loads(
        (Path(__file__).resolve().parent.parent / "knowledge" / "catalogue" / "regions.json").read_text()
    )["codes"]
)
DEFAULT_REGION = "us-east-1"


class RegionCode(validate.OneOf):
    """One of the AWS Region codes; an unknown code is answered with the nearest valid ones."""

    def __call__(self, value: Any) -> Any:
        if value in self.choices:
            return value
        nearest = difflib.get_close_matches(str(value), self.choices, n=3, cutoff=0.4)
        hint = f" Nearest valid codes: {', '.join(nearest)}." if nearest else ""
        raise ValidationError(
            f"Unknown AWS Region code '{value}'.{hint} Valid codes: {', '.join(self.choices)}."
        )


def _meta(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description}


def _choice(
    values: tuple[str, ...] | list[str], default: str | None, title: str, description: str, **kw: Any
) -> Any:
    if default is None:
        return fields.String(validate=validate.OneOf(values), metadata=_meta(title, description), **kw)
    return fields.String(
        load_default=default, validate=validate.OneOf(values), metadata=_meta(title, description), **kw
    )


def _flag(title: str, description: str) -> Any:
    return StrictBoolean(load_default=False, metadata=_meta(title, description))


def _priority(title: str, description: str) -> Any:
    return StrictInteger(load_default=3, validate=LEVELS, metadata=_meta(title, description))


class PrioritiesSchema(StrictSchema):
    cost = _priority("Cost", "How much lower cost matters (0 = not at all, 5 = above all).")
    simplicity = _priority("Simplicity", "How much fewer moving parts and less to operate matter.")
    portability = _priority("Portability", "How much the ability to move off AWS matters.")
    security = _priority("Security", "How much isolation and least exposure matter.")
    performance = _priority("Performance", "How much speed, latency and throughput matter.")


class TeamSchema(StrictSchema):
    kubernetes_experience = _choice(
        ("none", "some", "expert"), "none", "Kubernetes experience", "How well the team knows Kubernetes."
    )
    ops_capacity = _choice(
        ("minimal", "moderate", "dedicated"), "moderate", "Operations capacity",
        "People available to run infrastructure: minimal, moderate, or a dedicated platform team.",
    )  # fmt: skip
    existing_platform = _choice(
        ("none", "ecs", "kubernetes"),
        "none",
        "Existing platform",
        "Container platform the team already runs.",
    )


class PlatformSchema(StrictSchema):
    multi_cloud = _flag("Multi-cloud", "The workload must also run on another cloud.")
    on_premises = _flag("On premises", "The workload must also run in your own data centre (hybrid).")
    kubernetes_ecosystem = _flag(
        "Kubernetes ecosystem", "The workload needs Helm charts, operators, CRDs or a service mesh."
    )
    manage_servers = _choice(
        ("prefer_not", "acceptable", "required"), "acceptable", "Managing servers",
        "Whether the team may manage hosts: required means host access, daemons or a custom AMI.",
    )  # fmt: skip
    service_count = StrictInteger(
        load_default=1, validate=validate.Range(min=1, max=100000),
        metadata=_meta("Services", "How many services (deployable units) the platform runs."),
    )  # fmt: skip
    privileged_containers = _flag(
        "Privileged containers", "Containers need privileged mode (for example Docker-in-Docker)."
    )
    node_daemons = _flag("Node daemons", "An agent must run on every host (DaemonSet or DAEMON service).")


class WorkloadSchema(StrictSchema):
    kind = _choice(WORKLOAD_KINDS, None, "Workload kind", "What the workload mainly does.", required=True)
    vcpus = StrictInteger(
        load_default=1, validate=validate.Range(min=1, max=448),
        metadata=_meta("vCPUs", "vCPUs one instance (or task) needs."),
    )  # fmt: skip
    memory_gib = StrictNumber(
        load_default=0.5, validate=validate.Range(min=0.5, max=24576),
        metadata=_meta("Memory (GiB)", "Memory one instance (or task) needs, in GiB."),
    )  # fmt: skip
    gpus = StrictInteger(
        load_default=0, validate=validate.Range(min=0, max=16),
        metadata=_meta("GPUs", "GPUs (or accelerators) one instance needs."),
    )  # fmt: skip
    utilization = _choice(
        ("steady", "variable", "spiky", "mostly_idle"),
        "steady",
        "Utilization",
        "How busy the CPU is over a day.",
    )
    storage = _choice(
        ("network", "local_nvme", "dense_hdd"), "network", "Storage",
        "Where the data lives: network (EBS), local NVMe instance store, or dense local HDD.",
    )  # fmt: skip
    arm64_ok = _flag("Arm64 ready", "The software runs on Graviton (arm64).")
    neuron_ok = _flag(
        "Neuron ready", "The ML code runs on AWS Neuron (Inferentia, Trainium) as well as CUDA."
    )
    free_tier = _flag("Free tier", "The workload must stay within the free tier.")
    gpu_memory_gib = StrictNumber(
        load_default=0, validate=validate.Range(min=0, max=16384),
        metadata=_meta("GPU memory (GiB)", "GPU memory one instance needs, all its GPUs together."),
    )  # fmt: skip
    dataset_gib = StrictNumber(
        load_default=0, validate=validate.Range(min=0, max=24576),
        metadata=_meta(
            "Data set in memory (GiB)",
            "For in-memory caches: the data one instance holds; memory is sized as this plus the headroom the "
            "software needs beyond it (0: memory_gib is the instance's memory).",
        ),
    )  # fmt: skip
    count = StrictInteger(
        load_default=1, validate=validate.Range(min=1, max=100000),
        metadata=_meta("Count", "Instances (or tasks, or pods) running at the same time."),
    )  # fmt: skip
    os = _choice(
        ("linux", "windows"), "linux", "Operating system", "The operating system the workload runs on."
    )
    interruptible = _flag(
        "Interruptible", "The work tolerates being stopped and resumed (Spot Instances, Fargate Spot)."
    )


class SourceSchema(StrictSchema):
    type = _choice(
        ("ec2", "container", "lambda", "on_premises", "internet"), None, "Source type",
        "Who connects: an EC2 instance, a container, a Lambda function, an on-premises server, or internet clients.",
        required=True,
    )  # fmt: skip
    vpc = Label(
        validate=validate.Length(max=255),
        metadata=_meta("VPC", "Label of the VPC; equal labels mean the same VPC."),
    )
    subnet = Label(validate=validate.Length(max=255), metadata=_meta("Subnet", "Label of the subnet."))
    region = Label(validate=validate.Length(max=64), metadata=_meta("Region", "AWS Region, e.g. us-east-1."))
    account = Label(validate=validate.Length(max=64), metadata=_meta("Account", "AWS account id or label."))


class TargetSchema(StrictSchema):
    type = _choice(
        ("rds", "ec2", "service"), None, "Target type", "What the source connects to.", required=True
    )
    engine = _choice(DATABASE_ENGINES, None, "Database engine", "Engine of the RDS database.")
    port = StrictInteger(
        validate=validate.Range(min=1, max=65535),
        metadata=_meta("Port", "Port the target listens on; defaults to the engine's port."),
    )
    vpc = Label(
        validate=validate.Length(max=255),
        metadata=_meta("VPC", "Label of the VPC; equal labels mean the same VPC."),
    )
    subnet = Label(validate=validate.Length(max=255), metadata=_meta("Subnet", "Label of the subnet."))
    region = Label(validate=validate.Length(max=64), metadata=_meta("Region", "AWS Region, e.g. us-east-1."))
    account = Label(validate=validate.Length(max=64), metadata=_meta("Account", "AWS account id or label."))


class NetworkSchema(StrictSchema):
    source = fields.Nested(SourceSchema, required=True, metadata=_meta("Source", "Who connects."))
    target = fields.Nested(TargetSchema, required=True, metadata=_meta("Target", "What it connects to."))
    vpc_count = StrictInteger(
        validate=validate.Range(min=1, max=10000),
        metadata=_meta("VPCs", "VPCs that must interconnect (default: the distinct VPCs named)."),
    )
    overlapping_cidrs = _flag("Overlapping CIDRs", "The VPCs' (or on-premises) address ranges overlap.")
    transitive_routing = _flag(
        "Transitive routing", "Other networks must reach each other through this link too."
    )
    bandwidth_gbps = StrictNumber(
        load_default=1, validate=validate.Range(min=0.001, max=400),
        metadata=_meta("Bandwidth (Gbps)", "Sustained bandwidth the connection needs."),
    )  # fmt: skip
    dedicated_link = _flag("Dedicated link", "On premises: consistent latency or a private line is required.")
    needed_within_days = StrictInteger(
        load_default=90, validate=validate.Range(min=0, max=3650),
        metadata=_meta("Needed within (days)", "How soon the connection must work."),
    )  # fmt: skip
    internet_exposure_allowed = _flag(
        "Internet exposure allowed", "The target may have a public endpoint at all."
    )
    monthly_data_gib = StrictNumber(
        load_default=100, validate=validate.Range(min=0, max=10_000_000),
        metadata=_meta("Data a month (GiB)", "Data crossing the link per month, both ways (per-GB charges)."),
    )  # fmt: skip


class BackupSchema(StrictSchema):
    scope = fields.List(
        fields.String(validate=validate.OneOf(BACKUP_SCOPES)), required=True,
        validate=validate.Length(min=1, max=len(BACKUP_SCOPES)),
        metadata={**_meta("Scope", "What must be protected: whole servers, volumes, files, databases."), "uniqueItems": True},
    )  # fmt: skip
    rpo_minutes = StrictInteger(
        load_default=1440, validate=validate.Range(min=0, max=525600),
        metadata=_meta("RPO (minutes)", "Data loss tolerated; 0 means seconds (continuous replication)."),
    )  # fmt: skip
    rto_minutes = StrictInteger(
        load_default=240, validate=validate.Range(min=0, max=525600),
        metadata=_meta("RTO (minutes)", "Time to restore tolerated."),
    )  # fmt: skip
    retention_days = StrictInteger(
        load_default=30, validate=validate.Range(min=1, max=36500),
        metadata=_meta("Retention (days)", "How long copies must be kept."),
    )  # fmt: skip
    cross_region = _flag("Cross-Region", "Copies must survive a Region outage.")
    cross_account = _flag("Cross-account", "Copies must survive a compromised account.")
    compliance = _flag("Compliance", "Immutable (WORM) copies and audit evidence are required.")
    resource_count = StrictInteger(
        load_default=1, validate=validate.Range(min=1, max=1000000),
        metadata=_meta("Resources", "How many servers, volumes or databases are protected."),
    )  # fmt: skip
    database_service = _choice(
        ("rds", "self_managed"), "rds", "Database service",
        "Where the databases run: RDS, or self-managed on EC2 (used with scope databases).",
    )  # fmt: skip
    data_gib = StrictNumber(
        load_default=100, validate=validate.Range(min=0, max=10_000_000),
        metadata=_meta("Data (GiB)", "Size of the data protected, per resource."),
    )  # fmt: skip
    daily_change_percent = StrictNumber(
        load_default=5, validate=validate.Range(min=0, max=100),
        metadata=_meta("Daily change (%)", "Share of that data that changes per day (incremental copies)."),
    )  # fmt: skip

    @validates_schema
    def _unique_scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        scope = data.get("scope") or []
        if len(set(scope)) != len(scope):
            raise ValidationError("Each scope may appear only once.", "scope")


class ProfileSchema(StrictSchema):
    name = fields.String(
        validate=validate.Length(min=1, max=100), metadata=_meta("Name", "Label echoed back.")
    )
    region = fields.String(
        load_default=DEFAULT_REGION, validate=RegionCode(REGION_CODES),
        metadata=_meta("Region", "AWS Region the workload runs in: which instance types are offered, and prices."),
    )  # fmt: skip
    priorities = fields.Nested(
        PrioritiesSchema, metadata=_meta("Priorities", "How much each concern matters, 0..5.")
    )
    team = fields.Nested(TeamSchema, metadata=_meta("Team", "Who will run the workload."))
    platform = fields.Nested(
        PlatformSchema, metadata=_meta("Platform", "Answers orchestrator and launch type.")
    )
    workload = fields.Nested(WorkloadSchema, metadata=_meta("Workload", "Answers the instance family."))
    network = fields.Nested(NetworkSchema, metadata=_meta("Network", "Answers connectivity to the database."))
    backup = fields.Nested(BackupSchema, metadata=_meta("Backup", "Answers the backup strategy."))
