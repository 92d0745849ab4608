#!/usr/bin/env python3
"""Adds N small stack directories to main of an infra repository in one commit (git fast-import),
so that benchmarks can compare an empty repository with a large one."""
import subprocess, sys

repo, count = sys.argv[1], int(sys.argv[2])
head = subprocess.check_output(["git", "-C", repo, "rev-parse", "refs/heads/main"], text=True).strip()
lines = ["commit refs/heads/main", "committer seed <seed@localhost> 1700000000 +0000"]
message = f"Seed {count} stacks"
lines += [f"data {len(message)}", message, f"from {head}"]
stream = "\n".join(lines) + "\n"
parts = [stream]
for i in range(count):
    content = f'module "aurora" {{\n  source = "../../../terraform/modules/aurora-cluster"\n  name   = "seed-{i}-dev"\n}}\n'
    data = content.encode()
    parts.append(f"M 100644 inline stacks/dev/seed_{i}/main.tf\ndata {len(data)}\n{content}\n")
parts.append("done\n")
subprocess.run(["git", "-C", repo, "fast-import", "--quiet", "--done"], input="".join(parts).encode(), check=True)
