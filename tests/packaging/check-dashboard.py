#!/usr/bin/env python3
"""Checks docs/grafana-dashboard.json against the gateway's sources (ctest label: packaging).

- the file is JSON with panels, each with a unique id and queries;
- every shepgw_* metric a query uses is exported by the gateway: its name (without a
  histogram's _bucket/_sum/_count suffix) appears as a metric name in src/ or include/, so
  renaming a metric in the code breaks this test;
- every label a query groups or filters by is one the gateway sets (or le/instance/job);
- with promtool installed, every query (Grafana variables replaced) parses as PromQL.

Usage: check-dashboard.py DASHBOARD.json SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
BUILTIN_LABELS = {"le", "instance", "job"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}


def walk(node, found):
    """Collects every PromQL string: targets' expr and the templating queries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                found.append(value)
            elif key == "query" and isinstance(value, dict) and "query" in value:
                found.append(value["query"])
            else:
                walk(value, found)
    elif isinstance(node, list):
        for item in node:
            walk(item, found)


def read_sources(root):
    text = []
    for sub in ("src", "include"):
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            for f in files:
                if f.endswith((".cc", ".h")):
                    with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                        text.append(fh.read())
    return "\n".join(text)


def exported(name, sources):
    # "shepgw_x" as a C++ string, or "shepgw_x{label=..." / "# TYPE shepgw_x ...".
    return re.search(r'(?:"|# (?:HELP|TYPE) )' + re.escape(name) + r'(?=["{ \\])', sources) is not None


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, root = sys.argv[1], sys.argv[2]
    errors = []
    try:
        with open(path, encoding="utf-8") as fh:
            dash = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"FAIL: {path}: not valid JSON: {e}", file=sys.stderr)
        return 1
    sources = read_sources(root)

    panels = [p for p in dash.get("panels", []) if p.get("type") != "row"]
    if not panels:
        errors.append("no panels")
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(ids) != len(set(ids)):
        errors.append(f"duplicate panel ids: {ids}")
    for p in panels:
        if not any(t.get("expr") for t in p.get("targets", [])):
            errors.append(f"panel '{p.get('title')}' has no query")
        if "gridPos" not in p:
            errors.append(f"panel '{p.get('title')}' has no gridPos")

    exprs = []
    walk(dash, exprs)
    metrics, labels = set(), set()
    for e in exprs:
        metrics.update(re.findall(r"\bshepgw_[a-z0-9_]+", e))
        for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", e):
            labels.update(x.strip() for x in group.split(",") if x.strip())
        for selector in re.findall(r"\{([^}]*)\}", e):
            labels.update(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", selector))
        labels.update(re.findall(r"label_values\([^,]*,\s*([a-zA-Z_]+)\)", e))
    for m in sorted(metrics):
        base = m
        for suffix in HISTOGRAM_SUFFIXES:
            if m.endswith(suffix) and not exported(m, sources):
                base = m[: -len(suffix)]
        if not exported(base, sources):
            errors.append(f"metric {m} is not exported by the gateway (not found in src/, include/)")
    for label in sorted(labels - BUILTIN_LABELS - PROMQL_WORDS):
        if not re.search(r'"' + re.escape(label) + r'"|\b' + re.escape(label) + r'=\\"', sources):
            errors.append(f"label '{label}' is not set by the gateway")

    promtool = shutil.which("promtool")
    if promtool:
        with tempfile.TemporaryDirectory() as tmp:
            rules = os.path.join(tmp, "rules.yml")
            with open(rules, "w", encoding="utf-8") as fh:
                fh.write("groups:\n- name: dashboard\n  rules:\n")
                # label_values() is Grafana's templating syntax, not PromQL.
                promql = [e for e in exprs if not e.startswith("label_values(")]
                for i, e in enumerate(promql):
                    q = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
                    fh.write(f"  - record: dashboard:query{i}\n    expr: {json.dumps(q)}\n")
            r = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True)
            if r.returncode != 0:
                errors.append("promtool rejects a query:\n" + r.stdout + r.stderr)
    else:
        print("note: promtool not found: PromQL syntax not checked", file=sys.stderr)

    for e in errors:
        print(f"FAIL: {path}: {e}", file=sys.stderr)
    if not errors:
        print(f"OK: {len(panels)} panels, {len(exprs)} queries, metrics: {', '.join(sorted(metrics))}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
