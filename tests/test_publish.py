"""``rlla-4k-gpt push`` against the local Hub stand-in, with the real datasets and evaluate clients.

Every push and every load runs in its own subprocess with its own ``HF_HOME`` (the Hub libraries
read their environment at import). The pushes run the installed ``rlla-4k-gpt`` command, i.e.
the commands of docs/publishing.md.

The release scenario (module fixture ``releases``) pushes v1.0.0 with both fixture builds, loads
every config by name, pushes a v2.0.0 of ``rl`` alone (built with reasoning effort "high"), and
loads again: ``main`` and the tag must each serve their own rows, and ``sft`` must survive.
"""

from __future__ import annotations

import json
import shutil
import string
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rlla_4k_gpt.hub import cli as push_cli
from rlla_4k_gpt.build.manifest import pin_files, read_report
from rlla_4k_gpt.hub.card import split_front_matter
from rlla_4k_gpt.hub.checks import PublishError, check_tag, describe_hub_error
from rlla_4k_gpt.hub.space import metric_files
from rlla_4k_gpt.hub.validate import CONFIGS, Build, load_build, row_problem, validate_build
from tests.conftest import read_build
from tests.hub_emulator import HubEmulator
from tests.hub_utils import TEST_TOKEN, hub_env, run_client

DATASET = "org/rlla_4k_gpt"
METRIC = "org/toolrl_gpt_oss_reward"
REAL_METRIC_DIR = Path(__file__).parents[1] / "metric" / "toolrl_gpt_oss_reward"
METRIC_SCRIPT = "toolrl_gpt_oss_reward.py"
CLI = Path(sys.executable).parent / "rlla-4k-gpt"


# ----------------------------------------------------------------------------- helpers


def push(hub: HubEmulator, home: Path, *args: str | Path, token: str | None = TEST_TOKEN) -> subprocess.CompletedProcess[str]:
    """``rlla-4k-gpt push --dataset-repo org/rlla_4k_gpt --metric-repo org/toolrl_gpt_oss_reward ARGS``."""
    command = [str(CLI) if CLI.exists() else sys.executable, *([] if CLI.exists() else ["-m", "rlla_4k_gpt.cli"])]
    command += ["push", "--dataset-repo", DATASET, "--metric-repo", METRIC, *map(str, args)]
    return subprocess.run(command, env=hub_env(hub.endpoint, home / "hf_home", token=token), cwd=home.parent,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)


def pushed(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"push failed\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    return proc


LOAD = """
import json, sys
from datasets import load_dataset
out = []
for args, kwargs in {calls!r}:
    dd = load_dataset(*args, **kwargs)
    out.append({{split: dd[split].to_list() for split in dd}})
out.append(sorted(m for m in sys.modules if m.split(".")[0] == "rlla_4k_gpt"))
print(json.dumps(out))
"""


def load_all(hub: HubEmulator, home: Path, calls: list[tuple[tuple, dict]]) -> tuple[list[dict[str, list]], list[str]]:
    """Run ``load_dataset(*args, **kwargs)`` for each call in one fresh client; also report our modules it imported."""
    home.mkdir(parents=True)
    proc = run_client(LOAD.format(calls=calls), hub_env(hub.endpoint, home / "hf_home"), cwd=home)
    *results, ours = json.loads(proc.stdout.strip().splitlines()[-1])
    return results, ours


def local_splits(build: Path) -> dict[str, list[dict[str, Any]]]:
    """A build's rows per split, the Json columns decoded by ``datasets.Json`` as ``load_dataset``
    decodes them, JSON round-tripped like the client's answer."""
    from datasets import Json

    def row_as_loaded(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, **{k: [Json().decode_example(v) for v in row[k]] for k in ("prompt", "tools")}}

    return {f.name.split("-")[0]: json.loads(json.dumps([row_as_loaded(r) for r in pq.read_table(f).to_pylist()]))
            for f in sorted((build / "data").glob("*.parquet"))}


def write_stand_in_metric(folder: Path) -> Path:
    """A minimal bundle for the dataset scenarios while the real one is not there."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\ntitle: stand-in\nsdk: static\n---\n# stand-in\n")
    (folder / "index.html").write_text("<p>stand-in</p>\n")
    return folder


def real_metric_ready() -> bool:
    return (REAL_METRIC_DIR / METRIC_SCRIPT).is_file() and (REAL_METRIC_DIR / "toolrl_reward_core.py").is_file()


@pytest.fixture(scope="module")
def metric_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return REAL_METRIC_DIR if real_metric_ready() else write_stand_in_metric(tmp_path_factory.mktemp("m") / "bundle")


@pytest.fixture(scope="module")
def rl_high(tmp_path_factory: pytest.TempPathFactory, sample_path: Path, offline_vocab: Path) -> Path:
    """The rl fixture built with reasoning effort "high": the changed v2."""
    from rlla_4k_gpt.build.write import build

    folder = tmp_path_factory.mktemp("v2") / "rl"
    build(folder, "rl", {"test": str(sample_path)}, reasoning_effort="high")
    return folder


@dataclass
class Releases:
    hub: HubEmulator
    v1_push: subprocess.CompletedProcess[str]
    v1_main: list[dict[str, list]]
    v2_push: subprocess.CompletedProcess[str]
    v2_loads: list[dict[str, list]]
    modules_imported_by_loads: list[str]
    card_v1: str
    card_v2: str


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, build_dirs: dict[str, Path], rl_high: Path,
             metric_dir: Path) -> Iterator[Releases]:
    root = tmp_path_factory.mktemp("releases")
    with HubEmulator() as hub:
        v1 = pushed(push(hub, root / "push1", "--build", build_dirs["rl"], "--build", build_dirs["sft"],
                         "--tag", "v1.0.0", "--metric-dir", metric_dir))
        repo = hub.state.get("dataset", DATASET)
        card_v1 = repo.commit_at("main").files["README.md"].data.decode()
        v1_main, ours1 = load_all(hub, root / "load1", [((DATASET,), {}), ((DATASET, "rl"), {}), ((DATASET, "sft"), {})])
        v2 = pushed(push(hub, root / "push2", "--build", rl_high, "--tag", "v2.0.0", "--metric-dir", metric_dir))
        card_v2 = repo.commit_at("main").files["README.md"].data.decode()
        v2_loads, ours2 = load_all(hub, root / "load2", [
            ((DATASET,), {}), ((DATASET,), {"revision": "v1.0.0"}), ((DATASET, "sft"), {}),
            ((DATASET, "sft"), {"revision": "v1.0.0"}), ((DATASET, "rl"), {"revision": "v2.0.0"})])
        yield Releases(hub, v1, v1_main, v2, v2_loads, ours1 + ours2, card_v1, card_v2)
        assert hub.unhandled == [], "a client used an endpoint the emulator does not implement"


# ----------------------------------------------------------------------------- round trips


def test_v1_loads_by_name_equal_to_the_local_builds(releases: Releases, build_dirs: dict[str, Path]) -> None:
    default, rl, sft = releases.v1_main
    assert rl == local_splits(build_dirs["rl"])
    assert sft == local_splits(build_dirs["sft"])
    assert set(sft) == {"train", "test"} and len(sft["train"]) > 200
    assert default == rl, "load_dataset(name) without a config must give rl"
    assert releases.modules_imported_by_loads == [], "loading by name must run none of our code"


def test_v2_on_main_while_the_v1_tag_keeps_v1(releases: Releases, build_dirs: dict[str, Path], rl_high: Path) -> None:
    main_default, v1_default, main_sft, v1_sft, v2_rl = releases.v2_loads
    v1_rows, v2_rows = local_splits(build_dirs["rl"]), local_splits(rl_high)
    assert v1_rows != v2_rows and "Reasoning: high" in v2_rows["test"][0]["prompt_text"]
    assert main_default == v2_rows == v2_rl
    assert v1_default == v1_rows
    assert main_sft == v1_sft == local_splits(build_dirs["sft"]), "a config not pushed stays on the Hub"
    dataset = releases.hub.state.get("dataset", DATASET)
    space = releases.hub.state.get("space", METRIC)
    assert set(dataset.tags) == set(space.tags) == {"v1.0.0", "v2.0.0"}
    assert dataset.tags["v2.0.0"] == dataset.branches["main"] != dataset.tags["v1.0.0"]


def test_card_keeps_rl_default_and_shows_real_numbers(releases: Releases, build_reports: dict[str, dict]) -> None:
    meta, body = split_front_matter(releases.card_v2)
    assert [c["config_name"] for c in meta["configs"] if c.get("default")] == ["rl"]
    assert {c["config_name"] for c in meta["configs"]} == {"rl", "sft"}
    assert {d["config_name"] for d in meta["dataset_info"]} == {"rl", "sft"}
    assert meta["license"] == "apache-2.0" and "gpt-oss" in meta["tags"] and meta["size_categories"] == ["n<1K"]
    for report in build_reports.values():  # sft was not pushed in v2: its numbers come from build_reports/sft.json
        for split, c in report["splits"].items():
            assert f"| `{report['config']}` | {split} | {c['written']:,} | {c['read']:,} | {c['skipped']:,} |" in body
        for skipped in report["skipped"]:
            assert skipped["where"] in body
        for repair in report["repairs"]:
            assert f"{repair['where']} ({repair['place']}): `{repair['name_before']}` → `{repair['name']}`" in body
        assert f"{len(report['renamed_tools']):,} distinct tool names renamed" in body
        assert f"| `{report['config']}` | {report['argument_changes'].get('coerced', 0):,} |" in body
    assert "This card describes release `v2.0.0`." in body and "This card describes release `v1.0.0`." in releases.card_v1
    assert "Reasoning: high" in body and "<|start|>assistant to=functions." in body  # the example is a real v2 row
    template = string.Template((Path(__file__).parents[1] / "dataset_card.md").read_text())
    assert [name for name in template.get_identifiers() if f"${name}" in body] == []  # every placeholder filled


def test_existing_tag_is_refused_before_any_write(releases: Releases, build_dirs: dict[str, Path], metric_dir: Path,
                                                  tmp_path: Path) -> None:
    hub = releases.hub
    head = hub.state.get("dataset", DATASET).branches["main"]
    hub.clear_requests()
    proc = push(hub, tmp_path / "again", "--build", build_dirs["rl"], "--tag", "v1.0.0", "--metric-dir", metric_dir)
    assert proc.returncode == 1 and "tag v1.0.0 already exists in dataset org/rlla_4k_gpt" in proc.stderr
    assert [r.method for r in hub.requests] == ["GET"]  # the refs look-up only
    assert hub.state.get("dataset", DATASET).branches["main"] == head


def test_metric_loads_from_the_space_without_our_package(releases: Releases, built_rows: list[dict[str, Any]],
                                                         tmp_path: Path) -> None:
    if not real_metric_ready():
        pytest.skip(f"the metric bundle {REAL_METRIC_DIR} is not complete yet")
    reward = pytest.importorskip("rlla_4k_gpt.reward")
    space = releases.hub.state.get("space", METRIC)
    bundle = metric_files(REAL_METRIC_DIR)
    assert set(space.commit_at("v2.0.0").files) == set(bundle) | {".gitattributes"}
    assert space.commit_at("main").files["toolrl_reward_core.py"].data == (REAL_METRIC_DIR / "toolrl_reward_core.py").read_bytes()

    references = [r["reward_model"]["ground_truth"] for r in built_rows[:40]]
    predictions = completions(references)
    expected = [reward.compute_score("rlla_gpt", p, g) for p, g in zip(predictions, references)]
    code = METRIC_CLIENT.format(site=sysconfig.get_paths()["purelib"], metric=METRIC,
                                predictions=predictions, references=references)
    env = hub_env(releases.hub.endpoint, tmp_path / "hf_home", token=None)
    proc = subprocess.run([sys.executable, "-S", "-c", code], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    isolated, result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isolated == "ModuleNotFoundError"
    assert_same_scores(result, expected)


METRIC_CLIENT = """
import json, sys
sys.path.append({site!r})  # site-packages without its .pth files: no editable rlla_4k_gpt
try:
    import rlla_4k_gpt
    isolated = "importable"
except ModuleNotFoundError as err:
    isolated = type(err).__name__
import evaluate
metric = evaluate.load({metric!r})
result = metric.compute(predictions={predictions!r}, references={references!r})
print(json.dumps([isolated, result]))
"""


def completions(truths: list[str]) -> list[str]:
    """Perfect, perturbed and broken completions, so the scores differ from row to row."""
    out = []
    for i, truth in enumerate(truths):
        kind = i % 4
        if kind == 0:
            out.append(truth)
        elif kind == 1:
            out.append(truth.replace('": "', '": "x', 1).replace('": 1', '": 2', 1))
        elif kind == 2:
            out.append(truth.split("<|end|>", 1)[-1])  # no analysis message
        else:
            out.append("garbage")
    return out


def assert_same_scores(result: dict[str, Any], expected: list[dict[str, float]]) -> None:
    """The metric's per-sample lists and means equal the package's ``compute_score`` values."""
    for component in ("score", "format", "correctness", "length"):
        per_sample = [e[component] for e in expected]
        assert result[f"per_sample_{component}"] == pytest.approx(per_sample), component
        assert result[component] == pytest.approx(sum(per_sample) / len(per_sample)), component
    assert len({e["score"] for e in expected}) > 2, "the inputs must give different scores"


# ----------------------------------------------------------------------------- refusals, no request made


def test_dry_run_lists_everything_and_sends_nothing(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    with HubEmulator() as hub:
        proc = pushed(push(hub, tmp_path / "dry", "--build", build_dirs["rl"], "--build", build_dirs["sft"],
                           "--tag", "v1.0.0", "--dry-run", "--metric-dir", metric_dir, "--card-out", tmp_path / "card.md"))
        assert hub.requests == []
    out = proc.stdout
    for line in ("add rl/test-00000-of-00001.parquet", "add sft/train-00000-of-00001.parquet",
                 "add sft/test-00000-of-00001.parquet", "add build_reports/rl.json", "update README.md",
                 "tag v1.0.0", "create Space org/toolrl_gpt_oss_reward with space_sdk='static'", "4 commits"):
        assert line in out, line
    for name in metric_files(metric_dir):
        assert f"add {name}  (from " in out
    assert "| `rl` | test | 80 | 80 | 0 |" in (tmp_path / "card.md").read_text()


def corrupt_copy(build: Path, dest: Path, row: int, change: Any) -> Path:
    """A copy of ``build`` whose test split has row ``row`` passed through ``change``."""
    shutil.copytree(build, dest)
    path = dest / "data" / "test-00000-of-00001.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[row] = change(rows[row])
    # pyarrow cannot build the Json (arrow.json extension) columns from Python values: build their
    # storage (JSON text) and cast back to the file's schema.
    storage = pa.schema([pa.field(f.name, pa.list_(pa.string())) if f.name in ("prompt", "tools") else f
                         for f in table.schema], metadata=table.schema.metadata)  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows, schema=storage).cast(table.schema), path)
    repin(dest)
    return dest


def repin(folder: Path) -> None:
    """Pin the folder's (edited) files in its report, as a build that wrote those rows would."""
    report = read_report(folder)
    report["files"] = {s: pin.to_dict() for s, pin in pin_files(folder, list(report["files"])).items()}
    (folder / "build_report.json").write_text(json.dumps(report))


def undeclared_call(row: dict[str, Any]) -> dict[str, Any]:
    gt = row["reward_model"]["ground_truth"]
    name = row["answer"]["calls"][0]["name"]
    return {**row, "reward_model": {**row["reward_model"], "ground_truth": gt.replace(f"functions.{name}<", "functions.nope<", 1)}}


def test_build_failing_invariants_is_refused_before_any_request(build_dirs: dict[str, Path], metric_dir: Path,
                                                                tmp_path: Path) -> None:
    rows = read_build(build_dirs["rl"])
    index = next(i for i, r in enumerate(rows) if r["answer"]["calls"])
    bad = corrupt_copy(build_dirs["rl"], tmp_path / "bad_rl", index, undeclared_call)
    with HubEmulator() as hub:
        proc = push(hub, tmp_path / "push", "--build", build_dirs["sft"], "--build", bad, "--tag", "v1.0.0",
                    "--metric-dir", metric_dir)
        assert hub.requests == []
    assert proc.returncode == 1
    assert f"refusing to publish: 1 invariant failure(s), first: {bad}: split test row {index}: " in proc.stderr
    assert "undeclared tool 'nope'" in proc.stderr


@pytest.mark.parametrize("tag", ["v0.4.6", "v0.9.0", "1.0.0", "v1.0", "v1.0.0-rc1"])
def test_forbidden_tags_are_refused_before_any_request(tag: str, build_dirs: dict[str, Path], metric_dir: Path,
                                                       tmp_path: Path) -> None:
    with HubEmulator() as hub:
        proc = push(hub, tmp_path / "push", "--build", build_dirs["rl"], "--tag", tag, "--metric-dir", metric_dir)
        assert hub.requests == []
    assert proc.returncode == 1 and f"tag {tag}" in proc.stderr.replace(f"tag '{tag}'", f"tag {tag}")


def test_without_build_every_config_is_built_first(build_dirs: dict[str, Path], metric_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No --build: the configs are built from the default sources (stubbed here: no GitHub), then planned."""
    from rlla_4k_gpt.cli import make_parser

    built: list[tuple[Path, str]] = []

    def fake_build(root: Path, strict: bool) -> list[Build]:
        built.append((root, strict))
        return [load_build(build_dirs[c]) for c in CONFIGS]

    monkeypatch.setattr(push_cli, "build_default_sources", fake_build)
    args = make_parser().parse_args(["push", "--dataset-repo", DATASET, "--metric-repo", METRIC, "--dry-run",
                                     "--metric-dir", str(metric_dir)])
    assert args.func(args) == 0
    assert [strict for _, strict in built] == [False]  # the same default as `build`
    strict_args = make_parser().parse_args(["push", "--dataset-repo", DATASET, "--metric-repo", METRIC, "--dry-run",
                                            "--metric-dir", str(metric_dir), "--strict"])
    assert strict_args.func(strict_args) == 0 and [s for _, s in built] == [False, True]
    out = capsys.readouterr().out
    assert "add rl/test-00000-of-00001.parquet" in out and "add sft/train-00000-of-00001.parquet" in out
    assert "no tag" in out


def test_installed_evaluate_version_is_never_a_tag() -> None:
    import evaluate

    with pytest.raises(PublishError, match="evaluate.load tries the tag"):
        check_tag(f"v{evaluate.__version__}")
    with pytest.raises(PublishError, match="evaluate.load tries the tag"):
        check_tag("v3.1.4", evaluate_version="3.1.4")
    assert check_tag("v1.0.0") == "v1.0.0"


@pytest.mark.parametrize(("token", "expected"), [("bogus", "not authenticated (401)"), ("reader", "forbidden (403)")])
def test_auth_errors_are_one_clear_line(token: str, expected: str, build_dirs: dict[str, Path], metric_dir: Path,
                                        tmp_path: Path) -> None:
    with HubEmulator(tokens={"writer": "write", "reader": "read"}) as hub:
        proc = push(hub, tmp_path / "push", "--build", build_dirs["rl"], "--tag", "v1.0.0", "--metric-dir", metric_dir,
                    token=token)
        assert hub.state.repos == {}
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "pushing config rl to dataset org/rlla_4k_gpt" in errors[0] and expected in errors[0]
    assert "Traceback" not in proc.stderr
    assert token not in proc.stdout + proc.stderr.replace("token", "")  # the token itself is never printed


def test_missing_token_is_refused(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    with HubEmulator() as hub:
        proc = push(hub, tmp_path / "push", "--build", build_dirs["rl"], "--metric-dir", metric_dir, token=None)
        assert hub.requests == []
    assert proc.returncode == 1 and "no Hub token: set HF_TOKEN or run `hf auth login`" in proc.stderr


# ----------------------------------------------------------------------------- branch and pull request


def test_revision_branch_and_pull_request(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    with HubEmulator() as hub:
        pushed(push(hub, tmp_path / "branch", "--build", build_dirs["rl"], "--revision", "dev", "--tag", "v1.0.0",
                    "--metric-dir", metric_dir))
        dataset = hub.state.get("dataset", DATASET)
        assert dataset.tags["v1.0.0"] == dataset.branches["dev"] != dataset.branches["main"]
        assert "rl/test-00000-of-00001.parquet" not in dataset.commit_at("main").files
        main_before = dataset.branches["main"]
        proc = pushed(push(hub, tmp_path / "pr", "--build", build_dirs["sft"], "--create-pr", "--metric-dir", metric_dir))
        assert dataset.branches["main"] == main_before
        pr = dataset.commit_at("refs/pr/1").files
        assert {"sft/train-00000-of-00001.parquet", "build_reports/sft.json", "README.md"} <= set(pr)
        assert [b for b in dataset.branches if b.startswith("refs/pr/")] == ["refs/pr/1"], "one PR per repo"
        assert "/discussions/1" in proc.stdout
        assert hub.unhandled == []


# ----------------------------------------------------------------------------- units


def test_every_built_row_passes_the_checks(build_dirs: dict[str, Path]) -> None:
    for folder in build_dirs.values():
        assert validate_build(load_build(folder)) == []


def _set(path: str, value: Any) -> Any:
    def change(row: dict[str, Any]) -> dict[str, Any]:
        row = json.loads(json.dumps(row))
        *parents, leaf = path.split(".")
        target = row
        for key in parents:
            target = target[key]
        target[leaf] = value(target[leaf]) if callable(value) else value
        return row
    return change


def require_more(row: dict[str, Any], key: str) -> dict[str, Any]:
    """``row`` whose first called tool also requires ``key``."""
    tools = json.loads(json.dumps(row["tools"]))
    for tool in tools:
        if tool["function"]["name"] == row["answer"]["calls"][0]["name"]:
            parameters = tool["function"]["parameters"]
            parameters["required"] = [*parameters.get("required", []), key]
    return {**row, "tools": tools}


@pytest.mark.parametrize(("change", "message"), [
    (_set("data_source", "rlla"), "data_source is 'rlla'"),
    (_set("prompt_text", lambda t: t.removesuffix("<|start|>assistant")), "does not end with <|start|>assistant"),
    (_set("prompt_tokens", lambda n: n + 1), "differs from the token count"),
    (_set("reward_model.ground_truth", lambda g: g.replace("<|message|>", "", 1)), "does not parse"),
    (undeclared_call, "undeclared tool 'nope'"),
    (lambda row: require_more(row, "zz"), "required argument 'zz' is missing"),
    (_set("answer.final", "something else"), "answer column differs"),
    (_set("extra_info.split", "train"), "extra_info.split is 'train'"),
])
def test_row_checks_can_fail(change: Any, message: str, built_rows: list[dict[str, Any]]) -> None:
    row = next(r for r in built_rows if r["answer"]["calls"] and r["extra_info"]["split"] == "test")
    assert row_problem(row, "test") is None
    assert message in (row_problem(change(row), "test") or "")


def test_argument_type_mismatch_is_caught(built_rows: list[dict[str, Any]]) -> None:
    row = next(r for r in built_rows if any(json.loads(c["arguments"]) for c in r["answer"]["calls"]))
    tools = json.loads(json.dumps(row["tools"]))
    call = row["answer"]["calls"][0]
    key = next(iter(json.loads(call["arguments"])))
    for tool in tools:
        if tool["function"]["name"] == call["name"]:
            tool["function"]["parameters"]["properties"][key] = {"type": "null"}
    assert f"argument {key!r} does not match" in (row_problem({**row, "tools": tools}, "test") or "")


def test_schema_and_count_mismatches_are_caught(build_dirs: dict[str, Path], tmp_path: Path) -> None:
    copy = shutil.copytree(build_dirs["rl"], tmp_path / "rl")
    path = copy / "data" / "test-00000-of-00001.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 5), path)
    with pytest.raises(PublishError, match="differs from the build report"):  # the file pin catches it first
        load_build(copy)
    repin(copy)  # even with the pin renewed, the report's count of written rows disagrees
    with pytest.raises(PublishError, match=f"the report counts {table.num_rows} rows written but pins 5"):
        load_build(copy)
    pq.write_table(table.drop_columns(["ability"]), path)
    repin(copy)
    assert "columns differ from the row contract" in str(validate_build(load_build(copy))[0])


@pytest.mark.parametrize(("status", "expected"), [
    (401, "not authenticated (401)"), (403, "forbidden (403)"), (404, "repository not found (404)"),
    (409, "conflict (409)"), (412, "someone else committed meanwhile (412)"), (500, "Hub error 500"),
])
def test_http_errors_map_to_one_line(status: int, expected: str) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    response = httpx2.Response(status, request=httpx2.Request("POST", "http://hub/api/repos/create"))
    error = HfHubHTTPError("boom", response=response, server_message="details\nmore")
    message = describe_hub_error(error, "creating org/x")
    assert message.startswith(f"creating org/x: {expected}") and message.endswith("(Hub says: details)")


def test_metric_files_resolve_symlinks_and_skip_caches(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.py"
    target.write_text("x = 1\n")
    bundle = tmp_path / "bundle"
    (bundle / "__pycache__").mkdir(parents=True)
    (bundle / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (bundle / "m.py").write_text("from .core import x\n")
    (bundle / "core.py").symlink_to(target)
    assert metric_files(bundle) == {"core.py": target.resolve(), "m.py": (bundle / "m.py").resolve()}
    (bundle / "dangling.py").symlink_to(tmp_path / "missing.py")
    with pytest.raises(PublishError, match="dangling"):
        metric_files(bundle)
