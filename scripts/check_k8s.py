#!/usr/bin/env python3
"""Offline structural check of the Kubernetes manifests in a directory.

No cluster is needed: every document is parsed (PyYAML) and checked for what
the referral router relies on. Exits 1 listing every problem found.

  scripts/check_k8s.py deploy/k8s
"""
import glob
import os
import sys

import yaml


def containers(doc):
    return doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def main(directory):
    problems = []
    docs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                for key in ("apiVersion", "kind", "metadata"):
                    if key not in doc:
                        problems.append(f"{path}: a document has no {key}")
                if "name" not in doc.get("metadata", {}):
                    problems.append(f"{path}: a {doc.get('kind')} has no metadata.name")
                docs.append((path, doc))

    by_kind = {}
    for path, doc in docs:
        by_kind.setdefault(doc.get("kind"), []).append((path, doc))
    config_maps = {d["metadata"]["name"]: d for _, d in by_kind.get("ConfigMap", [])}
    pdb_selectors = [
        d["spec"]["selector"]["matchLabels"] for _, d in by_kind.get("PodDisruptionBudget", [])
    ]
    services = {d["metadata"]["name"] for _, d in by_kind.get("Service", [])}

    for path, doc in by_kind.get("Deployment", []):
        name = doc["metadata"]["name"]
        spec = doc["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"]["labels"]
        if spec["selector"]["matchLabels"].items() > labels.items():
            problems.append(f"{path}: {name}: selector does not match the pod labels")
        if "terminationGracePeriodSeconds" not in pod:
            problems.append(f"{path}: {name}: no terminationGracePeriodSeconds")
        if not any(sel.items() <= labels.items() for sel in pdb_selectors):
            problems.append(f"{path}: {name}: no PodDisruptionBudget selects it")
        if name not in services:
            problems.append(f"{path}: {name}: no Service of the same name")
        for c in containers(doc):
            for probe in ("readinessProbe", "livenessProbe"):
                if "grpc" not in c.get(probe, {}):
                    problems.append(f"{path}: {name}: {probe} is not a grpc probe")
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                problems.append(f"{path}: {name}: resources need requests and limits")
            if not c.get("securityContext", {}).get("readOnlyRootFilesystem"):
                problems.append(f"{path}: {name}: root filesystem is not read-only")
        for volume in pod.get("volumes", []):
            cm = volume.get("configMap")
            if cm and cm["name"] not in config_maps:
                problems.append(f"{path}: {name}: ConfigMap {cm['name']} is not defined")
            if cm:
                data = config_maps.get(cm["name"], {}).get("data", {})
                for item in cm.get("items", []):
                    if item["key"] not in data:
                        problems.append(f"{path}: {name}: ConfigMap key {item['key']} missing")
        grace = pod.get("terminationGracePeriodSeconds", 0)
        for _, cm in config_maps.items():
            flags = cm.get("data", {}).get(f"{name}.flags", "")
            for line in flags.splitlines():
                if line.startswith("--shutdown_grace_seconds="):
                    drain = int(line.split("=", 1)[1])
                    if not drain < grace:
                        problems.append(
                            f"{path}: {name}: terminationGracePeriodSeconds {grace} does not "
                            f"cover the drain of {drain} s")

    for path, doc in by_kind.get("StatefulSet", []):
        if not doc["spec"].get("volumeClaimTemplates"):
            problems.append(f"{path}: {doc['metadata']['name']}: no persistent volume claim")

    if problems:
        print("\n".join(problems))
        return 1
    kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items()))
    print(f"check_k8s: {len(docs)} manifests parsed and checked ({kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "deploy/k8s"))
