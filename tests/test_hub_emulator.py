"""Prove the test-only Hub emulator against the real huggingface_hub, datasets and evaluate clients.

Each client scenario runs in a subprocess (see tests/hub_utils.py) because the Hub libraries read
HF_ENDPOINT, HF_HOME and friends when they are imported. The low-level protocol checks talk HTTP
directly with http.client.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.hub_emulator import HubEmulator, Repo
from tests.hub_utils import TEST_TOKEN, ClientError, hub_env, run_client

RL_V1 = {"train": {"prompt": ["a", "b", "c"], "score": [1, 2, 3]}, "test": {"prompt": ["t"], "score": [9]}}
SFT_V1 = {"train": {"text": ["x", "y"]}}
RL_V2 = {"train": {"prompt": ["a2", "b2"], "score": [10, 20]}, "test": {"prompt": ["t2"], "score": [90]}}


@pytest.fixture
def hub() -> Iterator[HubEmulator]:
    with HubEmulator() as emulator:
        yield emulator
        assert emulator.unhandled == [], "a client used an endpoint the emulator does not implement"


def client(hub: HubEmulator, home: Path, code: str, token: str | None = TEST_TOKEN) -> Any:
    """Run `code` in a fresh client process; it must print one JSON document on its last line."""
    proc = run_client(code, hub_env(hub.endpoint, home / "hf_home", token=token), cwd=home)
    return json.loads(proc.stdout.strip().splitlines()[-1])


PUSH = """
import json
from datasets import Dataset, DatasetDict
def push(repo, config, splits, **kwargs):
    DatasetDict({{s: Dataset.from_dict(c) for s, c in splits.items()}}).push_to_hub(repo, config_name=config, **kwargs)
{body}
print(json.dumps("ok"))
"""

LOAD = """
import json
from datasets import load_dataset
args, kwargs = {args!r}, {kwargs!r}
dd = load_dataset(*args, **kwargs)
print(json.dumps({{split: dd[split].to_dict() for split in dd}}))
"""


def load(hub: HubEmulator, home: Path, *args: str, **kwargs: str) -> dict:
    return client(hub, home, LOAD.format(args=args, kwargs=kwargs))


def head_of(repo: Repo, ref: str = "main") -> str:
    return repo.branches[ref]


def test_push_two_configs_and_load_them_by_name(hub: HubEmulator, tmp_path: Path) -> None:
    client(hub, tmp_path / "push", PUSH.format(body=f"""
from huggingface_hub import HfApi
HfApi().create_repo("org/ds", repo_type="dataset")
push("org/ds", "rl", {RL_V1!r}, set_default=True)
push("org/ds", "sft", {SFT_V1!r})
"""))
    repo = hub.state.get("dataset", "org/ds")
    readme = repo.commit_at("main").files["README.md"].data.decode()
    assert readme.startswith("---\n") and "configs:" in readme
    assert sorted(p for p in repo.commit_at("main").files if p.endswith(".parquet")) == [
        "rl/test-00000-of-00001.parquet", "rl/train-00000-of-00001.parquet", "sft/train-00000-of-00001.parquet"]
    assert repo.commit_at("main").files["rl/train-00000-of-00001.parquet"].lfs

    assert load(hub, tmp_path / "load_default", "org/ds") == RL_V1
    assert load(hub, tmp_path / "load_sft", "org/ds", "sft") == SFT_V1


def test_tagged_release_keeps_serving_old_rows(hub: HubEmulator, tmp_path: Path) -> None:
    client(hub, tmp_path / "push1", PUSH.format(body=f"""
from huggingface_hub import HfApi
HfApi().create_repo("org/ds", repo_type="dataset")
push("org/ds", "rl", {RL_V1!r}, set_default=True)
push("org/ds", "sft", {SFT_V1!r})
HfApi().create_tag("org/ds", tag="v1.0.0", repo_type="dataset")
"""))
    repo = hub.state.get("dataset", "org/ds")
    v1 = head_of(repo)
    assert repo.tags == {"v1.0.0": v1}
    # datasets 5.2.0 drops `default: true` when the default config is pushed again (with or without
    # set_default), so the second release re-marks `rl` as default in the card, as a publisher must.
    client(hub, tmp_path / "push2", PUSH.format(body=f"""
push("org/ds", "rl", {RL_V2!r}, set_default=True)
from huggingface_hub import DatasetCard
card = DatasetCard.load("org/ds", repo_type="dataset")
for entry in card.data["configs"]:
    entry.pop("default", None)
    if entry["config_name"] == "rl":
        entry["default"] = True
card.push_to_hub("org/ds", repo_type="dataset", commit_message="Keep rl the default config")
"""))
    assert head_of(repo) != v1 and repo.tags == {"v1.0.0": v1}

    assert load(hub, tmp_path / "main", "org/ds") == RL_V2
    assert load(hub, tmp_path / "v1", "org/ds", revision="v1.0.0") == RL_V1
    assert load(hub, tmp_path / "v1_sft", "org/ds", "sft", revision="v1.0.0") == SFT_V1
    assert load(hub, tmp_path / "main_sft", "org/ds", "sft") == SFT_V1  # untouched config survives


def write_metric(folder: Path, helper_body: str) -> Path:
    """A tiny evaluate metric Space: m.py importing its helper, helper.py and the card."""
    folder.mkdir(parents=True)
    (folder / "helper.py").write_text(f"def f(predictions, references):\n    {helper_body}\n")
    (folder / "README.md").write_text("---\ntitle: m\nsdk: static\ntags:\n- evaluate\n- metric\n---\n# m\n")
    (folder / "m.py").write_text('''"""A test metric."""
import datasets
import evaluate
from .helper import f


class M(evaluate.Metric):
    def _info(self):
        features = datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")})
        return evaluate.MetricInfo(description="test", citation="", inputs_description="", features=features)

    def _compute(self, predictions, references):
        return {"score": f(predictions, references)}
''')
    return folder


UPLOAD_SPACE = """
import json
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("org/m", repo_type="space", space_sdk="static", exist_ok=True)
info = api.upload_folder(repo_id="org/m", repo_type="space", folder_path={folder!r})
{after}
print(json.dumps(info.oid))
"""

EVALUATE = """
import json, sys
import evaluate
metric = evaluate.load("org/m")
print(json.dumps([evaluate.__version__, metric.compute(predictions=[1, 2, 3, 4], references=[1, 2, 0, 0])]))
"""


def test_metric_space_loads_with_evaluate(hub: HubEmulator, tmp_path: Path) -> None:
    accuracy = "return sum(p == r for p, r in zip(predictions, references)) / len(predictions)"
    folder = write_metric(tmp_path / "src" / "m", accuracy)
    oid = client(hub, tmp_path / "push", UPLOAD_SPACE.format(folder=str(folder), after=""))
    space = hub.state.get("space", "org/m")
    assert head_of(space) == oid and space.sdk == "static"
    assert {"m.py", "helper.py", "README.md"} <= set(space.commit_at("main").files)

    hub.clear_requests()
    version, scores = client(hub, tmp_path / "load", EVALUATE)
    assert scores == {"score": 0.5}
    # evaluate first asks for a tag named after its own version, then falls back to main.
    resolved = [(r.method, r.path) for r in hub.requests]
    assert resolved[:2] == [("HEAD", f"/spaces/org/m/resolve/v{version}/m.py"),
                            ("HEAD", "/spaces/org/m/resolve/main/m.py")]
    assert ("GET", "/spaces/org/m/resolve/main/helper.py") in resolved


def test_tag_named_like_evaluate_release_shadows_main(hub: HubEmulator, tmp_path: Path) -> None:
    """Why releases must never be tagged v{evaluate version}: evaluate.load would pin to that tag."""
    old = write_metric(tmp_path / "old" / "m", "return 1.0")
    new = write_metric(tmp_path / "new" / "m", "return 2.0")
    version, _ = client(hub, tmp_path / "probe", "import json, evaluate; print(json.dumps([evaluate.__version__, 0]))")
    after = f'api.create_tag("org/m", tag="v{version}", repo_type="space")'
    client(hub, tmp_path / "push_old", UPLOAD_SPACE.format(folder=str(old), after=after))
    client(hub, tmp_path / "push_new", UPLOAD_SPACE.format(folder=str(new), after=""))
    assert client(hub, tmp_path / "load", EVALUATE)[1] == {"score": 1.0}


def test_create_existing_repo_conflicts(hub: HubEmulator, tmp_path: Path) -> None:
    result = client(hub, tmp_path, """
import json
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
api = HfApi()
first = api.create_repo("org/ds", repo_type="dataset")
again = api.create_repo("org/ds", repo_type="dataset", exist_ok=True)
try:
    api.create_repo("org/ds", repo_type="dataset")
    error = None
except HfHubHTTPError as err:
    error = [type(err).__name__, err.response.status_code]
print(json.dumps([first, again, first.repo_id, first.repo_type, error]))
""")
    assert result == [f"{hub.endpoint}/datasets/org/ds"] * 2 + ["org/ds", "dataset", ["HfHubHTTPError", 409]]


def test_unknown_revision_is_404(hub: HubEmulator, tmp_path: Path) -> None:
    result = client(hub, tmp_path, """
import json
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RevisionNotFoundError, EntryNotFoundError, RepositoryNotFoundError
api = HfApi()
api.create_repo("org/ds", repo_type="dataset")
seen = []
for call in (lambda: hf_hub_download("org/ds", ".gitattributes", repo_type="dataset", revision="v9.9.9"),
             lambda: api.dataset_info("org/ds", revision="v9.9.9"),
             lambda: hf_hub_download("org/ds", "missing.txt", repo_type="dataset"),
             lambda: api.dataset_info("org/nope")):
    try:
        call()
        seen.append(None)
    except (RevisionNotFoundError, EntryNotFoundError, RepositoryNotFoundError) as err:
        seen.append([type(err).__name__, err.response.status_code if err.response is not None else None])
print(json.dumps(seen))
""")
    assert result == [["RevisionNotFoundError", 404], ["RevisionNotFoundError", 404],
                      ["RemoteEntryNotFoundError", 404], ["RepositoryNotFoundError", 404]]
    with pytest.raises(ClientError, match="v9.9.9"):
        load(hub, tmp_path / "load", "org/ds", revision="v9.9.9")


def test_pull_request_commits_leave_main_alone(hub: HubEmulator, tmp_path: Path) -> None:
    result = client(hub, tmp_path, """
import json
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("org/ds", repo_type="dataset")
info = api.upload_file(path_or_fileobj=b"proposed", path_in_repo="notes.txt", repo_id="org/ds",
                       repo_type="dataset", create_pr=True)
refs = api.list_repo_refs("org/ds", repo_type="dataset", include_pull_requests=True)
files_main = api.list_repo_files("org/ds", repo_type="dataset")
files_pr = api.list_repo_files("org/ds", repo_type="dataset", revision=info.pr_revision)
print(json.dumps([info.pr_revision, info.pr_num, [r.ref for r in refs.pull_requests], files_main, files_pr]))
""")
    assert result == ["refs/pr/1", 1, ["refs/pr/1"], [".gitattributes"], [".gitattributes", "notes.txt"]]


# ---------------------------------------------------------------- raw protocol checks


def request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    conn.request(method, path, body=data, headers={"Authorization": f"Bearer {TEST_TOKEN}", **(headers or {})})
    response = conn.getresponse()
    return response.status, dict(response.headers), response.read()


def commit_line(key: str, value: dict) -> bytes:
    return json.dumps({"key": key, "value": value}).encode() + b"\n"


CREATE_DS = {"name": "ds", "organization": "org", "type": "dataset"}


@pytest.fixture
def conn(hub: HubEmulator) -> Iterator[http.client.HTTPConnection]:
    connection = http.client.HTTPConnection(hub.endpoint.removeprefix("http://"), timeout=10)
    assert request(connection, "POST", "/api/repos/create", CREATE_DS)[0] == 200
    yield connection
    connection.close()


def test_resolve_headers_and_ranges(hub: HubEmulator, conn: http.client.HTTPConnection) -> None:
    import base64

    content = b"0123456789" * 10
    payload = commit_line("header", {"summary": "add"}) + commit_line(
        "file", {"path": "dir/a.txt", "content": base64.b64encode(content).decode(), "encoding": "base64"})
    status, _, body = request(conn, "POST", "/api/datasets/org/ds/commit/main", payload)
    assert status == 200
    oid = json.loads(body)["commitOid"]
    assert len(oid) == 40 and int(oid, 16) >= 0

    status, headers, body = request(conn, "HEAD", "/datasets/org/ds/resolve/main/dir/a.txt")
    assert (status, body, headers["X-Repo-Commit"], headers["Content-Length"]) == (200, b"", oid, "100")
    assert headers["ETag"].strip('"') == hub.state.get("dataset", "org/ds").commit_at(oid).files["dir/a.txt"].oid
    path = f"/datasets/org/ds/resolve/{oid}/dir%2Fa.txt"
    status, headers, body = request(conn, "GET", path, headers={"Range": "bytes=10-19"})
    assert (status, body, headers["Content-Range"]) == (206, b"0123456789", "bytes 10-19/100")
    assert request(conn, "GET", "/datasets/org/ds/resolve/main/dir/a.txt", headers={"Range": "bytes=-5"})[2] == b"56789"
    assert request(conn, "GET", "/datasets/org/ds/resolve/main/dir/a.txt", headers={"Range": "bytes=500-"})[0] == 416

    status, _, body = request(conn, "GET", "/api/datasets/org/ds/tree/main/dir?recursive=true")
    assert (status, [e["path"] for e in json.loads(body)]) == (200, ["dir/a.txt"])
    status, _, body = request(conn, "GET", "/api/datasets/org/ds/tree/main?recursive=false")
    assert [(e["type"], e["path"]) for e in json.loads(body)] == [("file", ".gitattributes"), ("directory", "dir")]


def test_errors_keep_the_connection_usable(conn: http.client.HTTPConnection) -> None:
    """Error answers to requests with bodies must not desynchronise a keep-alive connection."""
    stale = commit_line("header", {"summary": "x", "parentCommit": "0" * 40})
    assert request(conn, "POST", "/api/datasets/org/ds/commit/main", stale)[0] == 412
    header_only = commit_line("header", {"summary": "x"})
    status, headers, _ = request(conn, "POST", "/api/datasets/org/ds/commit/nope", header_only)
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")
    status, headers, _ = request(conn, "GET", "/datasets/org/ds/resolve/nope/README.md")
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")
    status, headers, _ = request(conn, "POST", "/api/repos/create", CREATE_DS)
    assert status == 409
    assert request(conn, "GET", "/api/datasets/org/ds")[0] == 200  # same connection still in sync


def test_tokens_and_request_log() -> None:
    with HubEmulator(tokens={"w": "write", "r": "read"}) as hub:
        conn = http.client.HTTPConnection(hub.endpoint.removeprefix("http://"), timeout=10)
        def status(token: str | None) -> int:
            conn.request("POST", "/api/repos/create", body=json.dumps(CREATE_DS),
                         headers={"Authorization": f"Bearer {token}"} if token else {})
            response = conn.getresponse()
            response.read()
            return response.status

        assert [status(None), status("bogus"), status("r"), status("w")] == [401, 401, 403, 200]
        assert [(r.method, r.path, r.token) for r in hub.requests] == [
            ("POST", "/api/repos/create", t) for t in (None, "bogus", "r", "w")]
        conn.close()
