#!/usr/bin/env python3
"""Plan a libvirt domain's PCI layout with pciplan from Python: XML in on stdin, JSON and XML out.

usage: plan.py DOMAIN.xml [SPARE_PCIE_PORTS]   (PCIPLAN overrides the command, e.g. "npx pciplan")
"""
import json, os, shlex, subprocess, sys

PCIPLAN = shlex.split(os.environ.get("PCIPLAN", "pciplan"))

def pciplan(args, xml):
    r = subprocess.run(PCIPLAN + args + ["-"], input=xml, capture_output=True, text=True)
    if r.returncode != 0:  # 1: the domain breaks a rule or has no layout; 2: unreadable input
        raise SystemExit(f"pciplan exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout

xml = open(sys.argv[1]).read()
flags = ["--spare-pcie-ports", sys.argv[2]] if len(sys.argv) > 2 else []
report = json.loads(pciplan(["assign", "--format", "json"] + flags, xml))
assert report["schemaVersion"] == 1, "written for pciplan's JSON schema version 1"
planned = pciplan(["assign"] + flags, xml)  # the same plan (deterministic), as domain XML
print(f"{report['objective']['addedControllers']} controllers added, proven optimal: {report['proven']}", file=sys.stderr)
print(planned, end="")
