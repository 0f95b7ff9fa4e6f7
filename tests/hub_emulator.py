"""A local, in-memory stand-in for the Hugging Face Hub. TEST CODE ONLY.

The real Hub is unreachable from the test machines, so the tests start this HTTP server on
127.0.0.1 and point the real ``huggingface_hub``, ``datasets`` and ``evaluate`` clients at it with
``HF_ENDPOINT``. The product (``rlla_4k_gpt``) never imports this module.

It implements the slice of the Hub's HTTP protocol those clients use to create repos, commit files,
tag releases and download files back:

* ``POST /api/repos/create`` (409 with ``url`` if the repo exists), ``DELETE /api/repos/delete``,
  ``POST /api/validate-yaml``, ``GET /api/whoami-v2``;
* the LFS batch API ``POST /[datasets/|spaces/]{namespace}/{name}.git/info/lfs/objects/batch`` (basic
  transfer) and the upload target ``PUT /lfs-upload/{sha256}``;
* under ``/api/{models,datasets,spaces}/{namespace}/{name}``: ``GET`` info (optionally
  ``/revision/{rev}``), ``GET /tree/{rev}[/{path}]`` (``recursive``, ``expand``),
  ``POST /paths-info/{rev}``, ``GET /refs``, ``GET /commits/{rev}``, ``POST /preupload/{rev}``
  (``uploadMode`` is ``"lfs"`` for paths matching the repo's ``.gitattributes`` LFS patterns or
  files of 10 MB or more, else ``"regular"``; never Xet, so clients need ``HF_HUB_DISABLE_XET=1``),
  ``POST /commit/{rev}`` (ndjson header/file/lfsFile/deletedFile/deletedFolder lines;
  ``parentCommit`` -> 412 when stale; ``create_pr=1``),
  ``POST|DELETE /tag/{tag}``, ``POST|DELETE /branch/{branch}``, ``POST /discussions`` and
  ``GET /discussions/{num}`` (pull requests live at ``refs/pr/{num}``);
* ``HEAD``/``GET /[datasets/|spaces/]{namespace}/{name}/resolve/{rev}/{path}`` with
  ``X-Repo-Commit``, ``ETag``, ``Content-Length`` and ``Range`` -> 206.

Errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) like the
Hub, and every request body is read before answering so pooled keep-alive connections stay usable.
Every request is logged in :attr:`HubEmulator.requests`, so a test can assert that a dry run made
none. Any bearer token is accepted unless ``tokens`` maps tokens to ``"read"``/``"write"`` roles.

Use it as a context manager (``with HubEmulator() as hub: hub.endpoint``) or run it by hand:
``python tests/hub_emulator.py --port 8765``.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Mapping, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

try:  # PyYAML comes with datasets; without it README metadata is neither validated nor parsed.
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
API_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
LFS_PATTERNS = ("*.parquet", "*.arrow", "*.bin", "*.safetensors", "*.pt", "*.zip", "*.gz", "*.tar", "*.npy")
GITATTRIBUTES = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS).encode()
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024


class HubError(Exception):
    """An error answered to the client as JSON plus the Hub's X-Error-Code header."""

    def __init__(self, status: int, message: str, code: str | None = None, body: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.body = status, message, code, body


class RecordedRequest(NamedTuple):
    method: str
    path: str  # percent-decoded, without the query string
    query: str
    token: str | None


@dataclass(frozen=True)
class Blob:
    """File content, stored in git itself or (``lfs=True``) behind a git-lfs pointer."""

    data: bytes
    lfs: bool = False

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def git_bytes(self) -> bytes:
        if not self.lfs:
            return self.data
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {len(self.data)}\n".encode()

    @cached_property
    def oid(self) -> str:
        """The git blob id the Hub reports for the path (of the pointer for LFS files)."""
        return blob_oid(self.git_bytes)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.oid


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    title: str
    message: str
    date: str
    files: Mapping[str, Blob]  # full snapshot of the tree


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    sdk: str | None
    created: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # includes refs/pr/N
    tags: dict[str, str] = field(default_factory=dict)
    discussions: list[dict[str, Any]] = field(default_factory=list)

    def commit_at(self, revision: str) -> Commit:
        oid = self.branches.get(revision) or self.tags.get(revision)
        if oid is None and revision in self.commits:
            oid = revision
        if oid is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return self.commits[oid]


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def blob_oid(data: bytes) -> str:
    """The git blob id the Hub reports (and huggingface_hub compares against) for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


_commit_counter = itertools.count()


def new_commit(parent: Commit | None, title: str, message: str, files: Mapping[str, Blob]) -> Commit:
    manifest = [parent.oid if parent else None, title, sorted((p, b.oid) for p, b in files.items()),
                next(_commit_counter), time.time()]
    oid = hashlib.sha1(json.dumps(manifest).encode()).hexdigest()
    return Commit(oid, parent.oid if parent else None, title, message, now_iso(), dict(files))


def front_matter(text: str) -> str | None:
    """The YAML block of a README, or None when there is none."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    return text[3:end] if end != -1 else None


def card_data(files: Mapping[str, Blob]) -> dict | None:
    block = front_matter(files.get("README.md", Blob(b"")).data.decode("utf-8", "replace"))
    if block is None or yaml is None:
        return None
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def is_ignored(path: str, gitignore: str | None) -> bool:
    """A small .gitignore matcher (glob patterns against the path or its basename)."""
    for pattern in (gitignore or "").splitlines():
        pattern = pattern.strip().rstrip("/")
        if pattern and not pattern.startswith(("#", "!")):
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern):
                return True
    return False


def wants_lfs(path: str, size: int, gitattributes: str) -> bool:
    """LFS for paths the repo's .gitattributes sends to LFS, or for large files (like the Hub)."""
    for line in gitattributes.splitlines():
        pattern, *attrs = line.split() or [""]
        name = path.rsplit("/", 1)[-1]
        if "filter=lfs" in attrs and (fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(name, pattern)):
            return True
    return size >= LFS_SIZE_THRESHOLD


class HubState:
    """All repositories, guarded by one lock (requests are served from many threads)."""

    def __init__(self, user: str = "tester") -> None:
        self.user = user
        self.lock = threading.RLock()
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}  # sha256 -> content, uploaded before the commit

    def get(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None:
            raise HubError(404, f"Repository not found: {repo_type} {repo_id}", "RepoNotFound")
        return repo

    def create(self, repo_type: str, repo_id: str, private: bool, sdk: str | None) -> Repo:
        repo = Repo(repo_type, repo_id, private, sdk, now_iso())
        files = {".gitattributes": Blob(GITATTRIBUTES)}
        if repo_type == "space":
            files["README.md"] = Blob(f"---\ntitle: {repo_id}\nsdk: {sdk or 'static'}\n---\n".encode())
        first = new_commit(None, "initial commit", "", files)
        repo.commits[first.oid] = first
        repo.branches["main"] = first.oid
        self.repos[(repo_type, repo_id)] = repo
        return repo


def tree_entries(repo: Repo, commit: Commit, prefix: str, recursive: bool, expand: bool) -> list[dict]:
    """The /tree listing of `prefix` ('' for the root) at `commit`."""
    base = prefix.strip("/") + "/" if prefix.strip("/") else ""
    under = sorted(p for p in commit.files if p.startswith(base))
    if base and not under:
        raise HubError(404, f"Entry not found: {prefix}", "EntryNotFound")
    entries: dict[str, dict] = {}
    for path in under:
        parts = path[len(base):].split("/")
        depth = len(parts) if recursive else 1
        for i in range(1, min(depth, len(parts)) + 1):
            sub = base + "/".join(parts[:i])
            if sub not in entries:
                entries[sub] = path_info(repo, commit, sub, expand)
    return list(entries.values())


def path_info(repo: Repo, commit: Commit, path: str, expand: bool) -> dict:
    if path in commit.files:
        blob = commit.files[path]
        info: dict[str, Any] = {"type": "file", "oid": blob.oid, "size": len(blob.data), "path": path}
        if blob.lfs:
            info["lfs"] = {"oid": blob.sha256, "size": len(blob.data), "pointerSize": len(blob.git_bytes)}
    else:
        listing = sorted((p, b.oid) for p, b in commit.files.items() if p.startswith(path + "/"))
        info = {"type": "directory", "oid": hashlib.sha1(json.dumps(listing).encode()).hexdigest(),
                "size": 0, "path": path}
    if expand:
        last = last_commit_touching(repo, commit, path)
        info["lastCommit"] = {"id": last.oid, "title": last.title, "date": last.date}
    return info


def last_commit_touching(repo: Repo, commit: Commit, path: str) -> Commit:
    def snapshot(c: Commit) -> list:
        return sorted((p, b.oid) for p, b in c.files.items() if p == path or p.startswith(path + "/"))

    while commit.parent is not None and snapshot(repo.commits[commit.parent]) == snapshot(commit):
        commit = repo.commits[commit.parent]
    return commit


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real Hub
    server: "HubServer"

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_HEAD(self) -> None:
        self.handle_any("HEAD")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def handle_any(self, method: str) -> None:
        body = self.read_body()  # always, before any answer: keeps pooled connections in sync
        url = urlsplit(self.path)
        segments = [unquote(s) for s in url.path.split("/")[1:]]
        self.server.record(RecordedRequest(method, unquote(url.path), url.query, self.token()))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            with self.server.state.lock:
                self.route(method, segments, query, body)
        except HubError as err:
            self.send_error_json(err)
        except Exception as err:  # a malformed request or an emulator bug: answer, and let tests see it
            self.server.unhandled.append(f"500 {method} {self.path}: {err!r}")
            self.send_error_json(HubError(500, f"Hub emulator error: {err!r}"))

    def send_error_json(self, err: HubError) -> None:
        if self.server.echo_auth:  # like a careless server: the credentials come back in the error
            err = HubError(err.status, f"{err.message} (received Authorization: {self.headers.get('Authorization')})",
                           err.code, err.body)
        payload = err.body if err.body is not None else {"error": err.message}
        headers = {"X-Error-Message": err.message}
        if err.code:
            headers["X-Error-Code"] = err.code
        self.send_json(payload, err.status, headers)

    def send_json(self, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> None:
        headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_bytes(json.dumps(payload).encode(), status, headers)

    def send_bytes(self, data: bytes, status: int, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    @property
    def endpoint(self) -> str:
        return f"http://{self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]}"

    def repo_url(self, repo: Repo) -> str:
        return f"{self.endpoint}/{URL_PREFIXES[repo.repo_type]}{repo.repo_id}"

    # ------------------------------------------------------------------ auth
    def check_access(self, repo: Repo | None, write: bool) -> None:
        token, tokens = self.token(), self.server.tokens
        if tokens is not None and token is not None and token not in tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        if write and token is None:
            raise HubError(401, "You must be authenticated to write to the Hub")
        if write and tokens is not None and tokens[token] != "write":
            raise HubError(403, "You don't have the rights to write with this token (read-only token)")
        if repo is not None and repo.private and token is None:
            raise HubError(404, f"Repository not found: {repo.repo_id}", "RepoNotFound")

    # ------------------------------------------------------------------ routing
    def route(self, method: str, seg: list[str], query: dict[str, str], body: bytes) -> None:
        state = self.server.state
        if seg[:1] == ["api"] and len(seg) >= 2:
            if seg[1:] == ["repos", "create"] and method == "POST":
                return self.create_repo(json.loads(body or b"{}"))
            if seg[1:] == ["repos", "delete"] and method == "DELETE":
                return self.delete_repo(json.loads(body or b"{}"))
            if seg[1:] == ["validate-yaml"] and method == "POST":
                return self.validate_yaml(json.loads(body or b"{}"))
            if seg[1:] == ["whoami-v2"] and method == "GET":
                self.check_access(None, write=True)
                return self.send_json({"type": "user", "name": state.user, "orgs": [],
                                       "auth": {"accessToken": {"role": "write"}}})
            if seg[1] in API_TYPES and len(seg) >= 4:
                repo = state.get(API_TYPES[seg[1]], f"{seg[2]}/{seg[3]}")
                return self.repo_api(method, repo, seg[4:], query, body)
        if len(seg) == 2 and seg[0] == "lfs-upload" and method == "PUT":
            return self.lfs_upload(seg[1], body)
        git_at = next((i for i, s in enumerate(seg) if s.endswith(".git")), None)
        if git_at in (1, 2) and seg[git_at + 1:] == ["info", "lfs", "objects", "batch"] and method == "POST":
            repo_type = {"datasets": "dataset", "spaces": "space"}.get(seg[0], "model")
            repo = state.get(repo_type, "/".join(seg[git_at - 1:git_at + 1])[: -len(".git")])
            return self.lfs_batch(repo, json.loads(body or b"{}"))
        resolve_at = 3 if seg[:1] in (["datasets"], ["spaces"]) else 2
        if len(seg) > resolve_at + 2 and seg[resolve_at] == "resolve" and method in ("GET", "HEAD"):
            repo_type = {"datasets": "dataset", "spaces": "space"}.get(seg[0], "model")
            repo = state.get(repo_type, "/".join(seg[resolve_at - 2:resolve_at]))
            return self.resolve(repo, seg[resolve_at + 1], "/".join(seg[resolve_at + 2:]))
        self.server.unhandled.append(f"{method} {self.path}")
        raise HubError(404, f"Hub emulator: no route for {method} {self.path}")

    def repo_api(self, method: str, repo: Repo, rest: list[str], query: dict[str, str], body: bytes) -> None:
        write = method != "GET"
        self.check_access(repo, write=write and rest[:1] != ["paths-info"])
        action, args = (rest[0], rest[1:]) if rest else ("revision", ["main"])
        if method == "GET" and action == "revision" and len(args) == 1:
            return self.send_json(self.repo_info(repo, repo.commit_at(args[0])))
        if method == "GET" and action == "tree" and args:
            commit = repo.commit_at(args[0])
            recursive, expand = (query.get(k, "").lower() in ("1", "true") for k in ("recursive", "expand"))
            return self.send_json(tree_entries(repo, commit, "/".join(args[1:]), recursive, expand))
        if method == "POST" and action == "paths-info" and len(args) == 1:
            commit, form = repo.commit_at(args[0]), parse_qs(body.decode())
            expand = form.get("expand", ["False"])[-1].lower() in ("1", "true")
            paths = [p.strip("/") for p in form.get("paths", [])]
            present = [p for p in paths if p in commit.files or any(f.startswith(p + "/") for f in commit.files)]
            return self.send_json([path_info(repo, commit, p, expand) for p in present])
        if method == "GET" and action == "refs" and not args:
            return self.send_json(self.refs(repo, include_prs=bool(query.get("include_prs"))))
        if method == "GET" and action == "commits" and len(args) == 1:
            return self.send_json(self.history(repo, repo.commit_at(args[0])))
        if method == "POST" and action == "preupload" and len(args) == 1:
            return self.preupload(repo, args[0], json.loads(body or b"{}"))
        if method == "POST" and action == "commit" and len(args) == 1:
            return self.commit(repo, args[0], body, create_pr=query.get("create_pr") == "1")
        if action in ("tag", "branch") and len(args) == 1 and method in ("POST", "DELETE"):
            return self.ref(repo, action, method, args[0], json.loads(body or b"{}") if method == "POST" else {})
        if action == "discussions" and method == "POST" and not args:
            self.check_access(repo, write=True)
            return self.send_json({"num": self.open_discussion(repo, json.loads(body or b"{}"))["num"]})
        if action == "discussions" and method == "GET" and len(args) == 1 and args[0].isdigit():
            return self.send_json(self.discussion(repo, int(args[0])))
        self.server.unhandled.append(f"{method} {self.path}")
        raise HubError(404, f"Hub emulator: no route for {method} {self.path}")

    # ------------------------------------------------------------------ endpoints
    def create_repo(self, payload: dict) -> None:
        self.check_access(None, write=True)
        repo_type = payload.get("type") or "model"
        if repo_type not in URL_PREFIXES:
            raise HubError(400, f"Invalid repo type: {repo_type}")
        repo_id = f"{payload.get('organization') or self.server.state.user}/{payload['name']}"
        existing = self.server.state.repos.get((repo_type, repo_id))
        if existing is not None:
            raise HubError(409, "You already created this repo",
                           body={"error": "You already created this repo", "url": self.repo_url(existing)})
        private = bool(payload.get("private")) or payload.get("visibility") == "private"
        repo = self.server.state.create(repo_type, repo_id, private, payload.get("sdk"))
        self.send_json({"url": self.repo_url(repo), "name": repo_id, "id": repo_id})

    def delete_repo(self, payload: dict) -> None:
        self.check_access(None, write=True)
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or self.server.state.user}/{payload['name']}"
        self.server.state.get(repo_type, repo_id)
        del self.server.state.repos[(repo_type, repo_id)]
        self.send_json({})

    def validate_yaml(self, payload: dict) -> None:
        block = front_matter(payload.get("content", ""))
        if block is not None and yaml is not None:
            try:
                data = yaml.safe_load(block)
            except yaml.YAMLError as err:
                raise HubError(400, "Invalid YAML", body={"errors": [{"message": str(err)}]})
            if data is not None and not isinstance(data, dict):
                raise HubError(400, "Invalid YAML", body={"errors": [{"message": "metadata must be a mapping"}]})
        self.send_json({"errors": [], "warnings": []})

    def repo_info(self, repo: Repo, commit: Commit) -> dict:
        info: dict[str, Any] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0], "sha": commit.oid, "lastModified": commit.date,
            "createdAt": repo.created, "private": repo.private, "disabled": False, "gated": False,
            "downloads": 0, "likes": 0, "tags": [],
            "siblings": [{"rfilename": p} for p in sorted(commit.files)],
        }
        if (data := card_data(commit.files)) is not None:
            info["cardData"] = data
        if repo.repo_type == "space":
            info["sdk"] = repo.sdk
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        return info

    def refs(self, repo: Repo, include_prs: bool) -> dict:
        def item(name: str, ref: str, oid: str) -> dict:
            return {"name": name, "ref": ref, "targetCommit": oid}

        heads = {n: o for n, o in repo.branches.items() if not n.startswith("refs/pr/")}
        result = {"branches": [item(n, f"refs/heads/{n}", o) for n, o in heads.items()],
                  "tags": [item(n, f"refs/tags/{n}", o) for n, o in repo.tags.items()], "converts": []}
        if include_prs:
            result["pullRequests"] = [item(n, n, o) for n, o in repo.branches.items() if n.startswith("refs/pr/")]
        return result

    def history(self, repo: Repo, commit: Commit | None) -> list[dict]:
        items = []
        while commit is not None:
            items.append({"id": commit.oid, "title": commit.title, "message": commit.message,
                          "authors": [{"user": self.server.state.user}], "date": commit.date})
            commit = repo.commits[commit.parent] if commit.parent else None
        return items

    def preupload(self, repo: Repo, revision: str, payload: dict) -> None:
        files = repo.commit_at(revision).files
        gitignore = payload.get("gitIgnore")
        if gitignore is None and ".gitignore" in files:
            gitignore = files[".gitignore"].data.decode("utf-8", "replace")
        attributes = files.get(".gitattributes", Blob(b"")).data.decode("utf-8", "replace")
        answer = []
        for item in payload.get("files", []):
            path, remote = item["path"], files.get(item["path"])
            lfs = wants_lfs(path, int(item.get("size", 0)), attributes)
            answer.append({"path": path, "uploadMode": "lfs" if lfs else "regular",
                           "shouldIgnore": is_ignored(path, gitignore),
                           "oid": None if remote is None else remote.sha256 if lfs else remote.oid})
        self.send_json({"files": answer, "commitOid": repo.commit_at(revision).oid})

    def lfs_batch(self, repo: Repo, payload: dict) -> None:
        self.check_access(repo, write=payload.get("operation") == "upload")
        objects = []
        for obj in payload.get("objects", []):
            answer = {"oid": obj["oid"], "size": int(obj["size"]), "authenticated": True}
            if obj["oid"] not in self.server.state.lfs_objects:
                answer["actions"] = {"upload": {"href": f"{self.endpoint}/lfs-upload/{obj['oid']}", "header": {}}}
            objects.append(answer)
        self.send_json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def lfs_upload(self, oid: str, body: bytes) -> None:
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"LFS upload content does not match its sha256 {oid}")
        self.server.state.lfs_objects[oid] = body
        self.send_bytes(b"", 200, {})

    def commit(self, repo: Repo, revision: str, body: bytes, create_pr: bool) -> None:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        header = next((ln["value"] for ln in lines if ln.get("key") == "header"), None)
        if header is None:
            raise HubError(400, "Commit payload has no header line")
        if revision not in repo.branches:
            raise HubError(404, f"Invalid rev id: {revision} is not a branch", "RevisionNotFound")
        parent = repo.commit_at(revision)
        expected = header.get("parentCommit")
        if expected is not None and expected != parent.oid and not create_pr:
            raise HubError(412, f"A commit has happened since {expected}: head of {revision} is {parent.oid}")
        if expected is not None and create_pr:
            parent = repo.commits.get(expected) or parent
        files = dict(parent.files)
        for line in lines:
            self.apply(files, line)
        commit = new_commit(parent, header.get("summary", ""), header.get("description", ""), files)
        repo.commits[commit.oid] = commit
        pr_url = None
        if create_pr:
            discussion = self.open_discussion(repo, {"title": commit.title, "pullRequest": True}, start=parent.oid)
            pr_url = f"{self.repo_url(repo)}/discussions/{discussion['num']}"
            revision = f"refs/pr/{discussion['num']}"
        repo.branches[revision] = commit.oid
        commit_url = f"{self.repo_url(repo)}/commit/{commit.oid}"
        self.send_json({"success": True, "commitOid": commit.oid, "commitUrl": commit_url,
                        "pullRequestUrl": pr_url, "hookOutput": ""})

    def apply(self, files: dict[str, Blob], line: dict) -> None:
        key, value = line.get("key"), line.get("value", {})
        if key == "file":
            content = value.get("content", "")
            raw = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
            files[value["path"]] = Blob(raw)
        elif key == "lfsFile":
            data = self.server.state.lfs_objects.get(value["oid"])
            if data is None:
                raise HubError(422, f"LFS object {value['oid']} of {value['path']} was never uploaded")
            files[value["path"]] = Blob(data, lfs=True)
        elif key == "deletedFile":
            if value["path"] not in files:
                raise HubError(404, f"File not found: {value['path']}", "EntryNotFound")
            del files[value["path"]]
        elif key == "deletedFolder":
            prefix = value["path"].rstrip("/") + "/"
            for path in [p for p in files if p.startswith(prefix)]:
                del files[path]
        elif key != "header":
            raise HubError(400, f"Unknown commit operation: {key}")

    def ref(self, repo: Repo, kind: str, method: str, name: str, payload: dict) -> None:
        refs = repo.tags if kind == "tag" else repo.branches
        if method == "DELETE":
            if refs.pop(name, None) is None:
                raise HubError(404, f"Invalid rev id: {name}", "RevisionNotFound")
            return self.send_json({})
        if kind == "tag":  # POST /tag/{revision} with {"tag": name}
            target, name = repo.commit_at(name).oid, payload["tag"]
        else:
            target = repo.commit_at(payload.get("startingPoint") or "main").oid
        if name in refs or (kind == "branch" and name in repo.tags):
            raise HubError(409, f"Reference already exists: {name}")
        refs[name] = target
        self.send_json({})

    def open_discussion(self, repo: Repo, payload: dict, start: str | None = None) -> dict:
        num = len(repo.discussions) + 1
        is_pr = bool(payload.get("pullRequest"))
        discussion = {"num": num, "title": payload.get("title", ""), "isPullRequest": is_pr,
                      "status": "open" if start else "draft" if is_pr else "open", "createdAt": now_iso(),
                      "author": {"name": self.server.state.user},
                      "repo": {"name": repo.repo_id, "type": repo.repo_type}, "events": [],
                      "changes": {"base": "refs/heads/main"}, "filesWithConflicts": [], "diff": ""}
        repo.discussions.append(discussion)
        if is_pr:
            repo.branches[f"refs/pr/{num}"] = start or repo.branches["main"]
        return discussion

    def discussion(self, repo: Repo, num: int) -> dict:
        if not 1 <= num <= len(repo.discussions):
            raise HubError(404, f"Discussion not found: {num}")
        return repo.discussions[num - 1]

    def resolve(self, repo: Repo, revision: str, path: str) -> None:
        self.check_access(repo, write=False)
        commit = repo.commit_at(revision)
        if path not in commit.files:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        blob = commit.files[path]
        data = blob.data
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{blob.etag}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        status, (start, stop) = 200, (0, len(data))
        if (byte_range := self.headers.get("Range")) is not None:
            parsed = parse_range(byte_range, len(data))
            if parsed is None:
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self.send_bytes(b"", 416, headers)
            status, (start, stop) = 206, parsed
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        self.send_bytes(data[start:stop], status, headers)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """`bytes=a-b`, `bytes=a-` or `bytes=-n` to a half-open [start, stop), None if unsatisfiable."""
    unit, _, spec = header.partition("=")
    first, _, last = spec.split(",")[0].strip().partition("-")
    if unit.strip() != "bytes" or not (first or last):
        return None
    if not first:
        start, stop = max(size - int(last), 0), size
    else:
        start, stop = int(first), min(int(last) + 1, size) if last else size
    return (start, stop) if start < stop else None


class HubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], tokens: Mapping[str, str] | None, verbose: bool,
                 echo_auth: bool = False):
        super().__init__(address, HubHandler)
        self.state = HubState()
        self.tokens = tokens
        self.echo_auth = echo_auth
        self.verbose = verbose
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[str] = []
        self._log_lock = threading.Lock()

    def record(self, request: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(request)


class HubEmulator:
    """Start/stop wrapper: ``with HubEmulator() as hub: ... hub.endpoint ... hub.requests``.

    ``tokens`` maps accepted bearer tokens to ``"read"`` or ``"write"``; by default any token may
    write. Writes without a token always get 401. ``echo_auth=True`` copies the request's
    ``Authorization`` header into every error message, as a careless server might.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tokens: Mapping[str, str] | None = None,
                 verbose: bool = False, echo_auth: bool = False) -> None:
        self.server = HubServer((host, port), tokens, verbose, echo_auth)
        self.thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self.server.requests)

    @property
    def unhandled(self) -> list[str]:
        """Requests no route matched: an emulator gap rather than a client error."""
        return list(self.server.unhandled)

    @property
    def state(self) -> HubState:
        return self.server.state

    def clear_requests(self) -> None:
        self.server.requests.clear()

    def start(self) -> "HubEmulator":
        self.thread = threading.Thread(target=self.server.serve_forever, name="hub-emulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def __enter__(self) -> "HubEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Test-only local stand-in for the Hugging Face Hub.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args()
    hub = HubEmulator(args.host, args.port, verbose=not args.quiet)
    print(f"Hub emulator listening; export HF_ENDPOINT={hub.endpoint}", flush=True)
    try:
        hub.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        hub.server.server_close()


if __name__ == "__main__":
    main()
