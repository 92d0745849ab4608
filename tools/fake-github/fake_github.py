#!/usr/bin/env python3
"""A small stand-in for the GitHub REST API, for tests of the GitHub publisher.

It serves the operations the publisher uses (and a few read operations tests use to look
around), backed by a REAL bare git repository driven through the git CLI: blobs, trees,
commits and refs are real git objects. Pull requests and labels live in memory.

Every request body is validated against GitHub's official REST description (the subset in
../shared/testdata/github/openapi-subset.json; refs listed in `x-not-extracted` are
unconstrained); a non-conforming body gets GitHub's 422 "Invalid request." answer. Every JSON
response the fake sends is validated against the same description, so a shape mistake in the
fake fails loudly (HTTP 500) instead of teaching the client a wrong shape.

Usage:
    fake_github.py --repository acme/infra --token T [--port 0] [--state-dir DIR]

On start it prints one line: `fake-github listening on http://127.0.0.1:PORT git-dir=PATH`.

Test control (no token needed, never counted as API calls), all under /_admin:
    GET  /_admin/stats            calls per operation, faults served, schema rejections
    GET  /_admin/requests         every API request: time, method, path, operation, status
    POST /_admin/reset-stats
    POST /_admin/faults           {"faults": [{"kind": "status", "status": 502, "times": 2,
                                    "operation": "git/create-tree"}, {"kind": "secondary",
                                    "retry_after": 1, "times": 1, "status": 403},
                                    {"kind": "delay", "seconds": 2, "times": 1}]}
                                  ("operation" is optional: without it, the next API requests)
    POST /_admin/rate-limit       {"limit": 5000, "remaining": 0, "reset_in": 2}
    POST /_admin/content-limit    {"max": 4, "window": 2}: a secondary rate limit (403 with
                                  retry-after) when more content-creating requests arrive in
                                  the window; {"max": null} turns it off
    POST /_admin/token            {"token": "new"} (rotation)
    POST /_admin/commit           {"branch": "main", "files": {"path": "text"}, "message": "m"}
                                  commits on top of the branch (creating it from the default
                                  branch when missing)
    GET  /_admin/pulls            the pull requests, as the fake keeps them
"""

import argparse
import base64
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    sys.exit(f"fake-github needs jsonschema (run `make venv`): {error}")

SPEC_URI = "urn:github-openapi-subset"
API_VERSION = "2022-11-28"
ACCEPT = "application/vnd.github+json"
DOCS = "https://docs.github.com/rest"
ZERO_SHA = "0" * 40
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)


# ---------------------------------------------------------------------------------------------
# The official description, made usable by jsonschema.


def prepare_schema(node, not_extracted):
    """OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a null type, refs point into the
    registered description, refs that were not extracted become unconstrained."""
    if isinstance(node, list):
        return [prepare_schema(item, not_extracted) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        return {} if ref in not_extracted else {"$ref": SPEC_URI + ref}
    out = {key: prepare_schema(value, not_extracted) for key, value in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


class Description:
    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        not_extracted = set(raw["x-not-extracted"]["refs"])
        self.doc = prepare_schema(raw, not_extracted)
        self.registry = Registry().with_resource(SPEC_URI, Resource(contents=self.doc, specification=DRAFT4))
        self.routes = []
        for key, operation in raw["operations"].items():
            method, template = key.split(" ", 1)
            multi = {p.get("name") for p in operation.get("parameters", []) if p.get("x-multi-segment")}
            multi |= {"ref", "path", "tree_sha", "commit_sha"} & set(re.findall(r"{(\w+)}", template))
            pattern = ""
            for part in re.split(r"({\w+})", template):
                if part.startswith("{"):
                    name = part[1:-1]
                    pattern += f"(?P<{name}>.+)" if name in multi else f"(?P<{name}>[^/]+)"
                else:
                    pattern += re.escape(part)
            self.routes.append((method, re.compile(f"^{pattern}$"), operation["operationId"], key))
        self.operations = {key: self.doc["operations"][key] for key in raw["operations"]}

    def match(self, method, path):
        for route_method, regex, operation_id, key in self.routes:
            found = regex.match(path)
            if route_method == method and found:
                return operation_id, key, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def validator(self, schema):
        return jsonschema.Draft4Validator(schema, registry=self.registry)

    def request_errors(self, key, body):
        request = self.operations[key].get("requestBody")
        if not request or "schema" not in request:
            return []
        errors = sorted(self.validator(request["schema"]).iter_errors(body), key=lambda e: list(e.absolute_path))
        return [describe_schema_error(error) for error in errors]

    def response_errors(self, key, status, body):
        response = self.operations[key]["responses"].get(str(status))
        if response is None:
            return []  # e.g. 401: GitHub answers it everywhere, the description lists it rarely
        if "$ref" in response:
            response = self.resolve(response["$ref"])
        schema = response.get("schema")
        if schema is None:
            return []
        return [e.message for e in self.validator(schema).iter_errors(body)]

    def resolve(self, ref):
        node = self.doc
        for part in ref.split("#", 1)[1].strip("/").split("/"):
            node = node[part]
        return node


def describe_schema_error(error):
    """GitHub words its schema failures like `"sha" wasn't supplied.` or
    `For 'properties/tree', "x" is not an array.`; close enough for a test server."""
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f'"{missing[0]}" wasn\'t supplied.' if missing else error.message
    where = "/".join(str(p) for p in list(error.absolute_schema_path)[:-1])
    return f"For '{where}', {error.message}."


# ---------------------------------------------------------------------------------------------
# The git repository.


class GitError(Exception):
    pass


class Repository:
    def __init__(self, git_dir, default_branch):
        self.git_dir = git_dir
        self.default_branch = default_branch
        if not os.path.isdir(os.path.join(git_dir, "objects")):
            os.makedirs(git_dir, exist_ok=True)
            self.git("init", "--bare", "--quiet", "--initial-branch", default_branch)
            self.commit_files(default_branch, {"README.md": "# Infrastructure\n"}, "Initial commit")

    def git(self, *args, stdin=None, env=None):
        full_env = dict(os.environ, GIT_DIR=self.git_dir, GIT_CONFIG_NOSYSTEM="1", HOME=self.git_dir)
        full_env.setdefault("GIT_AUTHOR_NAME", "fake-github")
        full_env.setdefault("GIT_AUTHOR_EMAIL", "fake-github@example.com")
        full_env.setdefault("GIT_COMMITTER_NAME", "fake-github")
        full_env.setdefault("GIT_COMMITTER_EMAIL", "fake-github@example.com")
        full_env.update(env or {})
        result = subprocess.run(
            ["git", *args], input=stdin.encode() if isinstance(stdin, str) else stdin,
            capture_output=True, env=full_env)
        if result.returncode != 0:
            raise GitError(result.stderr.decode(errors="replace").strip())
        return result.stdout.decode(errors="replace")

    def object_type(self, sha):
        if not re.fullmatch(r"[0-9a-f]{40}", sha or ""):
            return None
        try:
            return self.git("cat-file", "-t", sha).strip()
        except GitError:
            return None

    def resolve_ref(self, ref):
        try:
            return self.git("rev-parse", "--verify", "--quiet", ref).strip() or None
        except GitError:
            return None

    def branch_sha(self, branch):
        return self.resolve_ref(f"refs/heads/{branch}")

    def write_blob(self, content_bytes):
        return self.git("hash-object", "-w", "--stdin", stdin=content_bytes).strip()

    def commit_files(self, branch, files, message):
        parent = self.branch_sha(branch) or self.branch_sha(self.default_branch)
        entries = [{"path": p, "mode": "100644", "type": "blob", "content": c} for p, c in files.items()]
        tree = self.build_tree(self.git("rev-parse", f"{parent}^{{tree}}").strip() if parent else None, entries)
        commit = self.commit(tree, [parent] if parent else [], message, None, None)
        self.git("update-ref", f"refs/heads/{branch}", commit)
        return commit

    def build_tree(self, base_tree, entries):
        handle, index = tempfile.mkstemp(prefix="fake-github-index-")
        os.close(handle)
        os.unlink(index)
        env = {"GIT_INDEX_FILE": index}
        try:
            self.git("read-tree", base_tree if base_tree else "--empty", env=env)
            for entry in entries:
                path = entry["path"]
                if "content" in entry:
                    sha = self.write_blob(entry["content"].encode("utf-8"))
                    self.git("update-index", "--add", "--cacheinfo", f"{entry.get('mode', '100644')},{sha},{path}", env=env)
                elif entry.get("sha") is None:
                    listed = self.git("ls-files", "--", path, env=env)
                    if not listed:
                        raise ValueError(f"tree.path {path} does not exist and cannot be deleted")
                    self.git("rm", "--cached", "-r", "--quiet", "--", path, env=env)
                elif entry.get("type") == "tree":
                    if self.git("ls-files", "--", path, env=env):
                        self.git("rm", "--cached", "-r", "--quiet", "--", path, env=env)
                    self.git("read-tree", f"--prefix={path}/", entry["sha"], env=env)
                else:
                    self.git("update-index", "--add", "--cacheinfo", f"{entry['mode']},{entry['sha']},{path}", env=env)
            return self.git("write-tree", env=env).strip()
        finally:
            if os.path.exists(index):
                os.unlink(index)

    def commit(self, tree, parents, message, author, committer):
        env = {}
        for role, who in (("AUTHOR", author), ("COMMITTER", committer or author)):
            if who:
                env[f"GIT_{role}_NAME"] = who["name"]
                env[f"GIT_{role}_EMAIL"] = who["email"]
                if who.get("date"):
                    env[f"GIT_{role}_DATE"] = who["date"]
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.git(*args, stdin=message, env=env).strip()

    def read_commit(self, sha):
        raw = self.git("cat-file", "commit", sha)
        header, _, message = raw.partition("\n\n")
        info = {"parents": [], "message": message}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                info["tree"] = value
            elif key == "parent":
                info["parents"].append(value)
            elif key in ("author", "committer"):
                found = re.match(r"(.*) <(.*)> (\d+) ([+-]\d{4})", value)
                name, email, epoch, zone = found.groups()
                offset = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[3:5]))
                when = datetime.fromtimestamp(int(epoch), timezone.utc).astimezone(
                    timezone(timedelta(minutes=offset)))
                info[key] = {"name": name, "email": email, "date": when.isoformat().replace("+00:00", "Z")}
        return info

    def list_tree(self, tree, recursive=False):
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [tree]
        entries = []
        for record in self.git(*args).split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, sha, size = meta.split()
            entries.append({"path": path, "mode": mode, "type": kind, "sha": sha,
                            "size": None if size == "-" else int(size)})
        return entries

    def is_ancestor(self, ancestor, descendant):
        try:
            self.git("merge-base", "--is-ancestor", ancestor, descendant)
            return True
        except GitError:
            return False


# ---------------------------------------------------------------------------------------------
# The server state: pull requests, rate limits, faults, statistics.


class ApiError(Exception):
    def __init__(self, status, message, errors=None, headers=None, doc=""):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "documentation_url": f"{DOCS}{doc}", "status": str(status)}
        if errors is not None:
            self.body["errors"] = errors
        self.headers = headers or {}


def validation_failed(doc, **error):
    return ApiError(422, "Validation Failed", errors=[error], doc=doc)


class State:
    def __init__(self, args, description, repository):
        self.lock = threading.RLock()
        self.owner, self.name = args.repository.split("/", 1)
        self.token = args.token
        self.latency = args.latency_ms / 1000
        self.description = description
        self.repo = repository
        self.base_url = ""
        self.pulls = []
        self.labels = {}
        self.faults = []
        self.limit = 5000
        self.remaining = 5000
        self.reset = int(time.time()) + 3600
        self.content_limit = None
        self.content_times = []
        self.request_counter = 0
        self.reset_stats()

    def reset_stats(self):
        self.calls = {}
        self.statuses = {}
        self.requests = []
        self.counters = {"secondary_limits": 0, "primary_limits": 0, "faults_served": 0,
                         "schema_rejections": 0, "header_rejections": 0, "auth_rejections": 0}

    def stats(self):
        return {"total": sum(self.calls.values()), "operations": self.calls, "statuses": self.statuses,
                **self.counters}

    # URLs in answers point back at this server, as GitHub's point at api.github.com.
    def api(self, suffix=""):
        return f"{self.base_url}/repos/{self.owner}/{self.name}{suffix}"

    def html(self, suffix=""):
        return f"{self.base_url}/{self.owner}/{self.name}{suffix}"


def user_json(state, login=None):
    login = login or state.owner
    base = f"{state.base_url}/users/{login}"
    return {
        "login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "avatar_url": f"{state.base_url}/avatars/{login}",
        "gravatar_id": "", "url": base, "html_url": f"{state.base_url}/{login}",
        "followers_url": f"{base}/followers", "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}", "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions", "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos", "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events", "type": "User", "site_admin": False,
    }


def repository_json(state):
    api = state.api()
    url_fields = {
        "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}", "contributors_url": "/contributors",
        "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
        "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}", "languages_url": "/languages", "merges_url": "/merges",
        "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}", "subscribers_url": "/subscribers", "subscription_url": "/subscription",
        "tags_url": "/tags", "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
    }
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    repo = {key: api + suffix for key, suffix in url_fields.items()}
    repo.update({
        "id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": state.name,
        "full_name": f"{state.owner}/{state.name}", "owner": user_json(state), "private": True,
        "html_url": state.html(), "description": "Infrastructure (fake-github)", "fork": False, "url": api,
        "clone_url": state.html(".git"), "git_url": state.html(".git"), "ssh_url": f"git@fake:{state.owner}/{state.name}.git",
        "svn_url": state.html(), "mirror_url": None, "homepage": None, "language": "HCL",
        "default_branch": state.repo.default_branch, "forks": 0, "forks_count": 0,
        "has_downloads": True, "has_issues": True, "has_projects": False, "has_wiki": False, "has_pages": False,
        "archived": False, "disabled": False, "open_issues": len([p for p in state.pulls if p["state"] == "open"]),
        "open_issues_count": len([p for p in state.pulls if p["state"] == "open"]), "license": None,
        "pushed_at": now, "size": 1, "stargazers_count": 0, "watchers": 0, "watchers_count": 0,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": now, "visibility": "private",
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    })
    return repo


def label_json(state, name):
    return {"id": int(hashlib.sha1(name.encode()).hexdigest()[:8], 16), "node_id": f"LA_{name}",
            "url": state.api(f"/labels/{name}"), "name": name, "description": None, "color": "ededed",
            "default": False}


def pull_json(state, pull):
    number = pull["number"]
    api = state.api(f"/pulls/{number}")
    issue = state.api(f"/issues/{number}")
    html = state.html(f"/pull/{number}")
    link = lambda href: {"href": href}  # noqa: E731
    head_sha = state.repo.branch_sha(pull["head"]) or pull["head_sha"]
    base_sha = state.repo.branch_sha(pull["base"]) or ""
    side = lambda ref, sha: {"label": f"{state.owner}:{ref}", "ref": ref, "sha": sha,  # noqa: E731
                             "user": user_json(state), "repo": repository_json(state)}
    return {
        "url": api, "id": 1000 + number, "node_id": f"PR_{number}", "html_url": html,
        "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
        "commits_url": api + "/commits", "review_comments_url": api + "/comments",
        "review_comment_url": state.api("/pulls/comments{/number}"), "comments_url": issue + "/comments",
        "statuses_url": state.api(f"/statuses/{head_sha}"), "number": number, "state": pull["state"],
        "locked": False, "title": pull["title"], "user": user_json(state), "body": pull["body"],
        "labels": [label_json(state, name) for name in state.labels.get(number, [])],
        "milestone": None, "active_lock_reason": None, "created_at": pull["created_at"],
        "updated_at": pull["created_at"], "closed_at": None, "merged_at": None, "merge_commit_sha": None,
        "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
        "head": side(pull["head"], head_sha), "base": side(pull["base"], base_sha),
        "_links": {"self": link(api), "html": link(html), "issue": link(issue), "comments": link(issue + "/comments"),
                   "review_comments": link(api + "/comments"), "review_comment": link(state.api("/pulls/comments{/number}")),
                   "commits": link(api + "/commits"), "statuses": link(state.api(f"/statuses/{head_sha}"))},
        "author_association": "OWNER", "auto_merge": None, "draft": False, "merged": False,
        "mergeable": None, "rebaseable": None, "mergeable_state": "unknown", "merged_by": None,
        "comments": 0, "review_comments": 0, "maintainer_can_modify": False, "commits": 1,
        "additions": 0, "deletions": 0, "changed_files": 0,
    }


def ref_json(state, ref, sha):
    kind = state.repo.object_type(sha) or "commit"
    return {"ref": ref, "node_id": f"REF_{ref}", "url": state.api(f"/git/{ref}"),
            "object": {"type": kind, "sha": sha, "url": state.api(f"/git/{kind}s/{sha}")}}


def commit_json(state, sha):
    info = state.repo.read_commit(sha)
    return {
        "sha": sha, "node_id": f"C_{sha[:12]}", "url": state.api(f"/git/commits/{sha}"),
        "html_url": state.html(f"/commit/{sha}"), "author": info["author"], "committer": info["committer"],
        "message": info["message"], "tree": {"sha": info["tree"], "url": state.api(f"/git/trees/{info['tree']}")},
        "parents": [{"sha": p, "url": state.api(f"/git/commits/{p}"), "html_url": state.html(f"/commit/{p}")}
                    for p in info["parents"]],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                         "verified_at": None},
    }


def tree_json(state, sha, recursive=False):
    entries = []
    for entry in state.repo.list_tree(sha, recursive):
        item = {"path": entry["path"], "mode": entry["mode"], "type": entry["type"], "sha": entry["sha"],
                "url": state.api(f"/git/{entry['type']}s/{entry['sha']}")}
        if entry["size"] is not None:
            item["size"] = entry["size"]
        entries.append(item)
    return {"sha": sha, "url": state.api(f"/git/trees/{sha}"), "tree": entries, "truncated": False}


# ---------------------------------------------------------------------------------------------
# Operations. Each takes (state, params, query, body) and returns (status, json).


def repos_get(state, params, query, body):
    return 200, repository_json(state)


def rate_limit_get(state, params, query, body):
    core = {"limit": state.limit, "remaining": state.remaining, "reset": state.reset,
            "used": state.limit - state.remaining}
    return 200, {"resources": {"core": core}, "rate": core}


def git_get_ref(state, params, query, body):
    ref = "refs/" + params["ref"]
    sha = state.repo.resolve_ref(ref) if re.fullmatch(r"refs/(heads|tags)/.+", ref) else None
    if not sha:
        raise ApiError(404, "Not Found", doc="/git/refs#get-a-reference")
    return 200, ref_json(state, ref, sha)


def git_create_ref(state, params, query, body):
    ref, sha = body["ref"], body["sha"]
    if not re.fullmatch(r"refs/[^/]+/.+", ref):
        raise ApiError(422, "Reference name is invalid", doc="/git/refs#create-a-reference")
    try:
        state.repo.git("check-ref-format", ref)
    except GitError:
        raise ApiError(422, "Reference name is invalid", doc="/git/refs#create-a-reference")
    if state.repo.object_type(sha) is None:
        raise ApiError(422, "Object does not exist", doc="/git/refs#create-a-reference")
    if state.repo.resolve_ref(ref):
        raise ApiError(422, "Reference already exists", doc="/git/refs#create-a-reference")
    try:
        state.repo.git("update-ref", ref, sha, ZERO_SHA)  # atomic: only if it does not exist
    except GitError:
        raise ApiError(422, "Reference already exists", doc="/git/refs#create-a-reference")
    return 201, ref_json(state, ref, sha)


def git_delete_ref(state, params, query, body):
    ref = "refs/" + params["ref"]
    if not state.repo.resolve_ref(ref):
        raise ApiError(422, "Reference does not exist", doc="/git/refs#delete-a-reference")
    state.repo.git("update-ref", "-d", ref)
    return 204, None


def git_create_blob(state, params, query, body):
    encoding = body.get("encoding", "utf-8")
    if encoding == "base64":
        content = base64.b64decode(body["content"])
    elif encoding in ("utf-8", "utf8"):
        content = body["content"].encode("utf-8")
    else:
        raise validation_failed("/git/blobs#create-a-blob", resource="Blob", field="encoding", code="invalid")
    sha = state.repo.write_blob(content)
    return 201, {"url": state.api(f"/git/blobs/{sha}"), "sha": sha}


def git_create_tree(state, params, query, body):
    doc = "/git/trees#create-a-tree"
    base_tree = body.get("base_tree")
    if base_tree is not None and state.repo.object_type(base_tree) != "tree":
        raise ApiError(422, "base_tree is not a valid tree oid", doc=doc)
    for index, entry in enumerate(body["tree"]):
        path = entry.get("path", "")
        if not path or path.startswith("/") or path.endswith("/") or ".." in path.split("/") or "//" in path:
            raise ApiError(422, f"tree.path contains a malformed path component (index {index})", doc=doc)
        if "content" in entry and entry.get("sha") is not None:
            raise ApiError(422, "tree.sha and tree.content cannot both be set", doc=doc)
        if "content" not in entry and "sha" not in entry:
            raise ApiError(422, f"Must supply either tree.sha or tree.content (index {index})", doc=doc)
        if "content" in entry and (entry.get("type", "blob") != "blob" or entry.get("mode", "100644") not in ("100644", "100755")):
            raise ApiError(422, f"tree.content requires a blob entry (index {index})", doc=doc)
        if entry.get("sha") is not None:
            expected = {"blob": "blob", "tree": "tree", "commit": "commit"}.get(entry.get("type"))
            if expected is None or state.repo.object_type(entry["sha"]) != expected:
                raise ApiError(422, f"tree.sha {entry['sha']} is not a valid {entry.get('type')}", doc=doc)
    try:
        sha = state.repo.build_tree(base_tree, body["tree"])
    except ValueError as error:
        raise ApiError(422, str(error), doc=doc)
    return 201, tree_json(state, sha)


def git_get_tree(state, params, query, body):
    name = params["tree_sha"]
    sha = state.repo.resolve_ref(f"{name}^{{tree}}") if re.fullmatch(r"[0-9a-f]{40}", name) \
        else state.repo.resolve_ref(f"refs/heads/{name}^{{tree}}") or state.repo.resolve_ref(f"refs/tags/{name}^{{tree}}")
    if not sha:
        raise ApiError(404, "Not Found", doc="/git/trees#get-a-tree")
    return 200, tree_json(state, sha, recursive="recursive" in query)


def git_create_commit(state, params, query, body):
    doc = "/git/commits#create-a-commit"
    if state.repo.object_type(body["tree"]) != "tree":
        raise ApiError(422, "Tree SHA does not exist", doc=doc)
    for parent in body.get("parents", []):
        if state.repo.object_type(parent) != "commit":
            raise ApiError(422, "Parent SHA does not exist or is not a commit object", doc=doc)
    sha = state.repo.commit(body["tree"], body.get("parents", []), body["message"], body.get("author"), body.get("committer"))
    return 201, commit_json(state, sha)


def git_get_commit(state, params, query, body):
    sha = params["commit_sha"]
    if state.repo.object_type(sha) != "commit":
        raise ApiError(404, "Not Found", doc="/git/commits#get-a-commit-object")
    return 200, commit_json(state, sha)


def repos_get_content(state, params, query, body):
    ref = query.get("ref", [state.repo.default_branch])[0]
    commit = state.repo.resolve_ref(ref if re.fullmatch(r"[0-9a-f]{40}", ref) else f"refs/heads/{ref}")
    path = params["path"].strip("/")
    listing = state.repo.git("ls-tree", "-l", "-z", commit, "--", path).split("\0") if commit else []
    listing = [record for record in listing if record]
    if not listing:
        raise ApiError(404, "Not Found", doc="/repos/contents#get-repository-content")
    meta, found_path = listing[0].split("\t", 1)
    mode, kind, sha, size = meta.split()

    def item(entry_path, entry_kind, entry_sha, entry_size):
        kind_name = {"tree": "dir", "blob": "file", "commit": "submodule"}[entry_kind]
        url = state.api(f"/contents/{entry_path}?ref={ref}")
        git_url = state.api(f"/git/{entry_kind}s/{entry_sha}")
        html_url = state.html(f"/blob/{ref}/{entry_path}")
        return {"type": kind_name, "size": 0 if entry_size == "-" else int(entry_size),
                "name": entry_path.rsplit("/", 1)[-1], "path": entry_path, "sha": entry_sha, "url": url,
                "git_url": git_url, "html_url": html_url,
                "download_url": html_url if kind_name == "file" else None,
                "_links": {"self": url, "git": git_url, "html": html_url}}

    if kind == "tree":
        entries = []
        for record in state.repo.git("ls-tree", "-l", "-z", sha).split("\0"):
            if record:
                child_meta, child_name = record.split("\t", 1)
                _, child_kind, child_sha, child_size = child_meta.split()
                entries.append(item(f"{found_path}/{child_name}", child_kind, child_sha, child_size))
        return 200, entries
    content = state.repo.git("cat-file", "blob", sha)
    file = item(found_path, kind, sha, size)
    file.update(content=base64.b64encode(content.encode()).decode(), encoding="base64")
    return 200, file


def find_head(state, head):
    owner, _, branch = head.rpartition(":")
    if owner and owner.lower() != state.owner.lower():
        return None
    return branch


def pulls_list(state, params, query, body):
    wanted = query.get("state", ["open"])[0]
    head = query.get("head", [None])[0]
    base = query.get("base", [None])[0]
    pulls = [p for p in reversed(state.pulls) if wanted == "all" or p["state"] == wanted]
    if head is not None:
        branch = find_head(state, head) if ":" in head else None  # GitHub needs user:ref-name
        pulls = [p for p in pulls if p["head"] == branch]
    if base is not None:
        pulls = [p for p in pulls if p["base"] == base]
    per_page = int(query.get("per_page", ["30"])[0])
    page = int(query.get("page", ["1"])[0])
    return 200, [pull_json(state, p) for p in pulls[(page - 1) * per_page: page * per_page]]


def pulls_create(state, params, query, body):
    doc = "/pulls/pulls#create-a-pull-request"
    if "issue" in body:
        raise ApiError(422, "fake-github does not convert issues", doc=doc)
    if "title" not in body:
        raise validation_failed(doc, resource="PullRequest", field="title", code="missing_field")
    branch = find_head(state, body["head"])
    if branch is None or not state.repo.branch_sha(branch):
        raise validation_failed(doc, resource="PullRequest", field="head", code="invalid")
    if not state.repo.branch_sha(body["base"]):
        raise validation_failed(doc, resource="PullRequest", field="base", code="invalid")
    if any(p["head"] == branch and p["base"] == body["base"] and p["state"] == "open" for p in state.pulls):
        raise validation_failed(doc, resource="PullRequest", code="custom",
                                message=f"A pull request already exists for {state.owner}:{branch}.")
    head_sha = state.repo.branch_sha(branch)
    if state.repo.is_ancestor(head_sha, state.repo.branch_sha(body["base"])):
        raise validation_failed(doc, resource="PullRequest", code="custom",
                                message=f"No commits between {body['base']} and {branch}")
    pull = {"number": len(state.pulls) + 1, "title": body["title"], "body": body.get("body"), "head": branch,
            "head_sha": head_sha, "base": body["base"], "state": "open",
            "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    state.pulls.append(pull)
    return 201, pull_json(state, pull)


def issue_labels_add(state, params, query, body):
    number = int(params["issue_number"])
    if not any(p["number"] == number for p in state.pulls):
        raise ApiError(404, "Not Found", doc="/issues/labels#add-labels-to-an-issue")
    if isinstance(body, dict):
        names = [item if isinstance(item, str) else item["name"] for item in body.get("labels", [])]
    else:
        names = [item if isinstance(item, str) else item["name"] for item in body or []]
    current = state.labels.setdefault(number, [])
    for name in names:
        if name not in current:
            current.append(name)
    return 200, [label_json(state, name) for name in current]


def issue_labels_list(state, params, query, body):
    number = int(params["issue_number"])
    if not any(p["number"] == number for p in state.pulls):
        raise ApiError(404, "Not Found", doc="/issues/labels#list-labels-for-an-issue")
    return 200, [label_json(state, name) for name in state.labels.get(number, [])]


HANDLERS = {
    "repos/get": repos_get,
    "rate-limit/get": rate_limit_get,
    "git/get-ref": git_get_ref,
    "git/create-ref": git_create_ref,
    "git/delete-ref": git_delete_ref,
    "git/create-blob": git_create_blob,
    "git/create-tree": git_create_tree,
    "git/get-tree": git_get_tree,
    "git/create-commit": git_create_commit,
    "git/get-commit": git_get_commit,
    "repos/get-content": repos_get_content,
    "pulls/list": pulls_list,
    "pulls/create": pulls_create,
    "issues/add-labels": issue_labels_add,
    "issues/list-labels-on-issue": issue_labels_list,
}
CONTENT_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


# ---------------------------------------------------------------------------------------------
# HTTP.


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each answer leaves in one write, as web servers send them. Unbuffered (http.server's
    # default), the head and the body go out as two segments, and the client wakes up twice.
    wbufsize = 64 * 1024
    server_version = "fake-github"
    state: State = None

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read stdout for readiness only
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def send_json(self, status, body, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self, method):
        split = urlsplit(self.path)
        raw = self.read_body()
        if split.path.startswith("/_admin/"):
            return self.admin(method, split.path, raw)
        state = self.state
        started = time.monotonic()
        delay = 0.0
        with state.lock:
            state.request_counter += 1
            request_id = f"FAKE:{state.request_counter:06d}"
            matched = state.description.match(method, split.path)
            operation = matched[0] if matched else f"{method} {split.path}"
            state.calls[operation] = state.calls.get(operation, 0) + 1
            try:
                status, body, headers = self.api(state, method, split, raw, matched, request_id)
            except ApiError as error:
                status, body, headers = error.status, error.body, error.headers
            headers = {**self.rate_headers(state), "X-GitHub-Request-Id": request_id,
                       "X-GitHub-Api-Version-Selected": API_VERSION, **headers}
            delay = headers.pop("_delay", 0.0)
            if matched and status < 500 and "_unchecked" not in headers:
                problems = state.description.response_errors(matched[1], status, body) if body is not None else []
                if problems:
                    print(f"fake-github BUG: {operation} {status} answer does not match the description: {problems[:3]}",
                          file=sys.stderr, flush=True)
                    status, body = 500, {"message": f"fake-github bug: response shape: {problems[0]}"}
            headers.pop("_unchecked", None)
            state.statuses[str(status)] = state.statuses.get(str(status), 0) + 1
            state.requests.append({"t": started, "method": method, "path": split.path, "operation": operation,
                                   "status": status})
        delay += state.latency
        if delay:
            time.sleep(delay)  # a slow answer, outside the lock (the client's timeout is under test)
        self.send_json(status, body, headers)

    def rate_headers(self, state):
        return {"X-RateLimit-Limit": state.limit, "X-RateLimit-Remaining": state.remaining,
                "X-RateLimit-Used": state.limit - state.remaining, "X-RateLimit-Reset": state.reset,
                "X-RateLimit-Resource": "core"}

    def api(self, state, method, split, raw, matched, request_id):
        # GitHub refuses requests without a User-Agent; this fake also insists on the headers the
        # client promises to send, so a test fails if one goes missing.
        headers = self.headers
        if not headers.get("User-Agent"):
            state.counters["header_rejections"] += 1
            raise ApiError(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
        if headers.get("X-GitHub-Api-Version") != API_VERSION or headers.get("Accept") != ACCEPT:
            state.counters["header_rejections"] += 1
            raise ApiError(400, f"fake-github expects Accept: {ACCEPT} and X-GitHub-Api-Version: {API_VERSION}")
        authorization = headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        if not authorization:
            state.counters["auth_rejections"] += 1
            raise ApiError(401, "Requires authentication", doc="/overview/authenticating")
        if scheme.lower() not in ("bearer", "token") or token != state.token:
            state.counters["auth_rejections"] += 1
            raise ApiError(401, "Bad credentials", doc="")

        self.refill(state)
        fault = self.take_fault(state, matched[0] if matched else None)
        if fault is not None:
            state.counters["faults_served"] += 1
            kind = fault.get("kind", "status")
            if kind == "secondary":
                state.counters["secondary_limits"] += 1
                return fault.get("status", 403), {
                    "message": SECONDARY_MESSAGE.format(request_id=request_id),
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    "status": str(fault.get("status", 403))}, {"Retry-After": fault.get("retry_after", 1), "_unchecked": 1}
            if kind == "delay":
                return_delay = float(fault.get("seconds", 1))
                result = self.route(state, method, split, raw, matched)
                result[2]["_delay"] = return_delay
                return result
            status = int(fault.get("status", 502))
            return status, {"message": "Server Error"}, {"_unchecked": 1}

        if state.remaining <= 0:
            state.counters["primary_limits"] += 1
            return 403, {"message": f"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID {request_id}.",
                         "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
                         "status": "403"}, {"_unchecked": 1}
        if matched is None or matched[0] != "rate-limit/get":
            state.remaining -= 1

        if method in CONTENT_METHODS and state.content_limit and state.content_limit.get("max") is not None:
            now = time.monotonic()
            window = float(state.content_limit.get("window", 60))
            state.content_times = [t for t in state.content_times if t > now - window]
            if len(state.content_times) >= int(state.content_limit["max"]):
                wait = max(1, math.ceil(state.content_times[0] + window - now))
                state.counters["secondary_limits"] += 1
                return 403, {"message": SECONDARY_MESSAGE.format(request_id=request_id),
                             "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                             "status": "403"}, {"Retry-After": wait, "_unchecked": 1}
            state.content_times.append(now)
        return self.route(state, method, split, raw, matched)

    def route(self, state, method, split, raw, matched):
        if matched is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {"_unchecked": 1}
        operation, key, params = matched
        if params.get("owner", "").lower() != state.owner.lower() or params.get("repo", "").lower() != state.name.lower():
            if "owner" in params:
                raise ApiError(404, "Not Found", doc="/repos/repos#get-a-repository")
        handler = HANDLERS.get(operation)
        if handler is None:
            return 501, {"message": f"fake-github does not implement {operation}"}, {"_unchecked": 1}
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "Problems parsing JSON", doc="")
        request_body = state.description.operations[key].get("requestBody")
        if request_body is not None:
            if body is None and request_body.get("required"):
                state.counters["schema_rejections"] += 1
                raise ApiError(422, "Invalid request.\n\nNo body was supplied.", doc="")
            problems = state.description.request_errors(key, body) if body is not None else []
            if problems:
                state.counters["schema_rejections"] += 1
                raise ApiError(422, "Invalid request.\n\n" + "\n".join(problems), doc="")
        query = parse_qs(split.query)
        status, answer = handler(state, params, query, body)
        return status, answer, {}

    def refill(self, state):
        if time.time() >= state.reset:
            state.remaining = state.limit
            state.reset = int(time.time()) + 3600

    def take_fault(self, state, operation):
        for index, fault in enumerate(state.faults):
            if fault.get("operation") in (None, operation):
                fault["times"] = fault.get("times", 1) - 1
                if fault["times"] <= 0:
                    del state.faults[index]
                return fault
        return None

    def admin(self, method, path, raw):
        state = self.state
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self.send_json(400, {"message": "admin body is not JSON"})
        with state.lock:
            if method == "GET" and path == "/_admin/stats":
                return self.send_json(200, state.stats())
            if method == "GET" and path == "/_admin/requests":
                return self.send_json(200, state.requests)
            if method == "GET" and path == "/_admin/pulls":
                return self.send_json(200, [dict(p, labels=state.labels.get(p["number"], [])) for p in state.pulls])
            if method == "POST" and path == "/_admin/reset-stats":
                state.reset_stats()
                return self.send_json(200, state.stats())
            if method == "POST" and path == "/_admin/faults":
                state.faults.extend(dict(f) for f in body.get("faults", []))
                return self.send_json(200, {"pending": state.faults})
            if method == "POST" and path == "/_admin/rate-limit":
                state.limit = int(body.get("limit", state.limit))
                state.remaining = int(body.get("remaining", state.limit))
                state.reset = math.ceil(time.time() + float(body.get("reset_in", 3600)))
                return self.send_json(200, {"limit": state.limit, "remaining": state.remaining, "reset": state.reset})
            if method == "POST" and path == "/_admin/content-limit":
                state.content_limit = body if body.get("max") is not None else None
                state.content_times = []
                return self.send_json(200, {"content_limit": state.content_limit})
            if method == "POST" and path == "/_admin/token":
                state.token = body["token"]
                return self.send_json(200, {})
            if method == "POST" and path == "/_admin/commit":
                sha = state.repo.commit_files(body.get("branch", state.repo.default_branch), body["files"],
                                              body.get("message", "Commit from a test"))
                return self.send_json(201, {"sha": sha})
        return self.send_json(404, {"message": f"no admin endpoint {method} {path}"})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_spec = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "testdata", "github", "openapi-subset.json"))
    parser = argparse.ArgumentParser(description="A fake GitHub REST API backed by a real git repository.")
    parser.add_argument("--repository", required=True, help="owner/name served by this fake")
    parser.add_argument("--token", required=True, help="the only token accepted")
    parser.add_argument("--default-branch", default="main")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--state-dir", help="where the bare repository lives (default: a temporary directory)")
    parser.add_argument("--spec", default=default_spec, help="openapi-subset.json")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="wait this long before every API answer (a network round trip; benchmarks)")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", args.repository):
        parser.error("--repository must be owner/name")

    temporary = None
    state_dir = args.state_dir
    if state_dir is None:
        temporary = state_dir = tempfile.mkdtemp(prefix="fake-github-")
    repository = Repository(os.path.join(state_dir, "repository.git"), args.default_branch)
    state = State(args, Description(args.spec), repository)
    Handler.state = state
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"

    def stop(signum, frame):
        raise SystemExit(0)

    # A parent may have started us with signals blocked (a Swift test process does): unblock the
    # ones that stop us, or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, stop)
    print(f"fake-github listening on {state.base_url} git-dir={repository.git_dir}", flush=True)
    try:
        server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
