#!/usr/bin/env python3
"""Generate knowledge/catalogue/ec2-instance-types.json from AWS's DescribeInstanceTypes data shipped in moto.

    .venv/bin/python scripts/generate_catalogue.py [--source PATH.json.gz] [--output PATH]

Only current-generation types are kept. Each family gets AWS's category (hpc_optimized for Hpc*), its
architectures, accelerator, local storage and sizes. Each size gets its us-east-1 On-Demand Linux price
(from scripts/data/ec2-prices-us-east-1.json, a copy of AWS Price List data with its provenance;
null when AWS does not sell it On-Demand there) and the Regions that offer it (AWS's
DescribeInstanceTypeOfferings per Region, also shipped in moto). The runtime reads the JSON; it never
imports moto.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "knowledge" / "catalogue" / "ec2-instance-types.json"
REGIONS = ROOT / "knowledge" / "catalogue" / "regions.json"  # read by the profile schema (a small file)
PRICES = ROOT / "scripts" / "data" / "ec2-prices-us-east-1.json"

# Family series prefix -> AWS category (https://aws.amazon.com/ec2/instance-types/). Longest prefix wins.
CATEGORIES = {
    "hpc": "hpc_optimized",
    "inf": "accelerated_computing", "trn": "accelerated_computing", "dl": "accelerated_computing",
    "vt": "accelerated_computing", "f": "accelerated_computing", "p": "accelerated_computing",
    "g": "accelerated_computing",
    "im": "storage_optimized", "is": "storage_optimized", "i": "storage_optimized",
    "d": "storage_optimized", "h": "storage_optimized",
    "r": "memory_optimized", "x": "memory_optimized", "u": "memory_optimized", "z": "memory_optimized",
    "c": "compute_optimized",
    "m": "general_purpose", "t": "general_purpose", "a": "general_purpose", "mac": "general_purpose",
}  # fmt: skip
FAMILY_RE = re.compile(r"^(?P<series>[a-z]+)-?(?P<generation>\d+)(?P<suffix>.*)$")
# First-generation high-memory families are named by size, generation last: u-6tb1 is generation 1.
HIGH_MEMORY_RE = re.compile(r"^(?P<series>u)-(?P<size>\d+tb)(?P<generation>\d+)$")


def moto_resources() -> Path:
    import moto  # only the generator needs moto

    return Path(moto.__file__).parent / "ec2" / "resources"


def offerings(folder: Path) -> dict[str, list[str]]:
    """Instance type -> the Regions that offer it, from one DescribeInstanceTypeOfferings file per Region."""
    offered: dict[str, list[str]] = {}
    for file in sorted(folder.glob("*.json.gz")):
        for item in json.loads(gzip.decompress(file.read_bytes())):
            offered.setdefault(item["InstanceType"], []).append(item["Location"])
    return {name: sorted(set(regions)) for name, regions in offered.items()}


def parse_family(family: str) -> tuple[str, int, str]:
    high_memory = HIGH_MEMORY_RE.match(family)
    if high_memory:
        return high_memory["series"], int(high_memory["generation"]), "-" + high_memory["size"]
    match = FAMILY_RE.match(family)
    if not match:
        raise ValueError(f"unrecognised family name {family!r}")
    return match["series"], int(match["generation"]), match["suffix"]


def category_of(series: str) -> str:
    for prefix in sorted(CATEGORIES, key=len, reverse=True):
        if series.startswith(prefix):
            return CATEGORIES[prefix]
    raise ValueError(f"no category for series {series!r}")


def accelerator_of(info: dict[str, Any]) -> tuple[str, int]:
    if "GpuInfo" in info:
        gpus = info["GpuInfo"]["Gpus"]
        return gpus[0]["Manufacturer"].lower(), sum(g["Count"] for g in gpus)
    if "NeuronInfo" in info:
        return "neuron", sum(d["Count"] for d in info["NeuronInfo"]["NeuronDevices"])
    if "InferenceAcceleratorInfo" in info:
        accelerators = info["InferenceAcceleratorInfo"]["Accelerators"]
        return accelerators[0]["Manufacturer"].lower(), sum(a["Count"] for a in accelerators)
    if "FpgaInfo" in info:
        return "fpga", 0
    if "MediaAcceleratorInfo" in info:
        return "media", 0
    return "none", 0


def build(types: dict[str, Any], prices: dict[str, float], offered: dict[str, list[str]]) -> dict[str, Any]:
    families: dict[str, dict[str, Any]] = {}
    for name in sorted(types):
        info = types[name]
        if not info.get("CurrentGeneration"):
            continue
        family = name.split(".", 1)[0]
        if family.startswith("mac"):
            continue  # macOS hosts are dedicated hosts, not a general workload choice
        series, generation, suffix = parse_family(family)
        archs = sorted(a for a in info["ProcessorInfo"]["SupportedArchitectures"] if a in ("x86_64", "arm64"))
        accelerator, accel_count = accelerator_of(info)
        storage = "none"
        if info.get("InstanceStorageSupported"):
            disks = info.get("InstanceStorageInfo", {}).get("Disks", [])
            storage = "hdd" if any(d["Type"] == "hdd" for d in disks) else "nvme"
        entry = families.setdefault(
            family,
            {
                "category": category_of(series),
                "series": series,
                "generation": generation,
                "suffix": suffix,
                "architectures": archs,
                "accelerator": accelerator,
                "gpu_model": (info.get("GpuInfo", {}).get("Gpus") or [{}])[0].get("Name"),
                "local_storage": storage,
                "burstable": bool(info.get("BurstablePerformanceSupported")),
                "sizes": [],
            },
        )
        entry["architectures"] = sorted(set(entry["architectures"]) | set(archs))
        if entry["local_storage"] == "none" and storage != "none":
            entry["local_storage"] = storage
        size = {
            "name": name,
            "vcpus": info["VCpuInfo"]["DefaultVCpus"],
            "memory_gib": round(info["MemoryInfo"]["SizeInMiB"] / 1024, 3),
            "accelerators": accel_count,
            "gpu_memory_gib": round(info.get("GpuInfo", {}).get("TotalGpuMemoryInMiB", 0) / 1024, 3),
            "local_storage_gb": info.get("InstanceStorageInfo", {}).get("TotalSizeInGB", 0),
            "bare_metal": bool(info.get("BareMetal")),
            "free_tier": bool(info.get("FreeTierEligible")),
            "usd_per_hour": prices.get(name),
            "regions": offered.get(name, []),
        }
        entry["sizes"].append(size)
    for entry in families.values():
        entry["sizes"].sort(key=lambda s: (s["vcpus"], s["memory_gib"], s["bare_metal"], s["name"]))
    return families


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    source = args.source or moto_resources() / "instance_types.json.gz"
    types = json.loads(gzip.decompress(source.read_bytes()))
    price_list = json.loads(PRICES.read_text())
    offered = offerings(moto_resources() / "instance_type_offerings" / "region")
    families = build(types, price_list["usd_per_hour"], offered)
    sizes = [s for f in families.values() for s in f["sizes"]]
    document = {
        "provenance": {
            "source": "AWS EC2 DescribeInstanceTypes, as shipped in moto's ec2/resources/instance_types.json.gz",
            "generator": "scripts/generate_catalogue.py",
            "moto_version": _moto_version(),
            "instance_types_read": len(types),
            "current_generation_types": sum(len(f["sizes"]) for f in families.values()),
            "families": len(families),
            "categories": "https://aws.amazon.com/ec2/instance-types/",
            "prices": {
                "what": "On-Demand, Linux, shared tenancy, USD per hour",
                "region": price_list["region"],
                "as_of": price_list["as_of"],
                "source": price_list["source"],
                "official_page": price_list["official_page"],
                "priced_types": sum(s["usd_per_hour"] is not None for s in sizes),
            },
            "regions": {
                "source": "AWS EC2 DescribeInstanceTypeOfferings (location type region), as shipped in moto's "
                "ec2/resources/instance_type_offerings/region",
                "page": "https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html",
                "codes": sorted({r for regions in offered.values() for r in regions}),
            },
        },
        "families": families,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=1, sort_keys=True)
    # Lists of plain strings (Regions, architectures) on one line each: the file stays readable and small.
    text = re.sub(r"\[\n\s+(\"[^\"\n]*\"(?:,\n\s+\"[^\"\n]*\")*)\n\s+\]",
                  lambda m: "[" + re.sub(r",\n\s+", ", ", m[1]) + "]", text)  # fmt: skip
    args.output.write_text(text + "\n")
    REGIONS.write_text(json.dumps(document["provenance"]["regions"], indent=1) + "\n")
    print(f"wrote {args.output}: {len(families)} families")


def _moto_version() -> str:
    try:
        from importlib.metadata import version

        return version("moto")
    except Exception:  # noqa: BLE001 - provenance is informative only
        return "unknown"


if __name__ == "__main__":
    main()
