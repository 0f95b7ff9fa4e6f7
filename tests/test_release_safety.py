"""Builds and releases that cannot lie (issue 12): one test (or group) per finding.

1. interrupted or mixed build folders are refused, and builds are switched in whole;
2. a token echoed by the server is never printed;
3. connection failures are one ``ERROR`` line naming what failed and why;
4. pushing ``sft`` alone and then ``rl`` works;
5. reward inputs: malformed or non-string ground truths, numpy integers, bytes-likes, chat dicts;
6. the metric takes token ids;
7. sources are recorded (origin, size, sha256) and can be pinned; empty inputs are named;
8. Ctrl-C is one line and exit 130; folders left by a killed build are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlla_4k_gpt.hub.sections import sources_section
from rlla_4k_gpt.reward import toolrl_reward_core as core
from rlla_4k_gpt.build.write import build
from rlla_4k_gpt.errors import redact
from rlla_4k_gpt.build.manifest import REPORT_FILE, BuildFolderError, check_build_folder, read_report, sha256_file
from rlla_4k_gpt.build.sources import SourceError
from tests.conftest import SFT_FIXTURE
from tests.hub_emulator import HubEmulator
from tests.hub_utils import hub_env, run_client

CLI = [sys.executable, "-m", "rlla_4k_gpt.cli"]
DATASET, METRIC = "org/rlla_4k_gpt", "org/toolrl_gpt_oss_reward"
SECRET = "hf_SecretTokenThatMustNeverBePrinted123"


def cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]


def assert_one_error(proc: subprocess.CompletedProcess[str], *needles: str, code: int = 1) -> str:
    assert proc.returncode == code, proc.stderr
    errors = error_lines(proc)
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def push_args(build_dir: Path, metric_dir: Path, *extra: str) -> list[str]:
    return ["push", "--dataset-repo", DATASET, "--metric-repo", METRIC, "--build", str(build_dir),
            "--metric-dir", str(metric_dir), *extra]


@pytest.fixture(scope="module")
def metric_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("metric")
    (folder / "m.py").write_text("# stand-in metric\n")
    return folder


@pytest.fixture(scope="module")
def rl_high(tmp_path_factory: pytest.TempPathFactory, sample_path: Path, offline_vocab: Path) -> Path:
    out = tmp_path_factory.mktemp("high") / "rl"
    build(out, "rl", {"test": str(sample_path)}, reasoning_effort="high")
    return out


def copy_build(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    return dest


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- 1. build folders


def test_push_refuses_a_build_with_a_split_missing(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    broken = copy_build(build_dirs["sft"], tmp_path / "sft")
    next((broken / "data").glob("test-*.parquet")).unlink()
    with HubEmulator() as hub:
        proc = cli(*push_args(broken, metric_dir, "--tag", "v1.1.0"), env=hub_env(hub.endpoint, tmp_path / "home"))
        assert hub.requests == []  # refused before any request
    assert_one_error(proc, "split test", "is missing")


def test_report_of_another_build_beside_new_rows_is_refused(build_dirs: dict[str, Path], rl_high: Path,
                                                             metric_dir: Path, tmp_path: Path) -> None:
    mixed = copy_build(build_dirs["rl"], tmp_path / "rl")
    shutil.rmtree(mixed / "data")
    shutil.copytree(rl_high / "data", mixed / "data")  # rows built with "high" beside the "medium" report
    with HubEmulator() as hub:
        proc = cli(*push_args(mixed, metric_dir), env=hub_env(hub.endpoint, tmp_path / "home"))
        assert hub.requests == []
    assert_one_error(proc, "sha256", "differs from the build report")
    stats = cli("stats", mixed, "--tokenizer", "offline")
    assert_one_error(stats, "differs from the build report", code=2)  # stats exits 2 on unusable input


def test_stray_parquet_and_unpinned_report_are_refused(build_dirs: dict[str, Path], tmp_path: Path) -> None:
    stray = copy_build(build_dirs["rl"], tmp_path / "stray")
    shutil.copy(next((stray / "data").glob("*.parquet")), stray / "data" / "train-00000-of-00001.parquet")
    with pytest.raises(BuildFolderError, match="not in the build report"):
        check_build_folder(stray, read_report(stray))
    old = copy_build(build_dirs["rl"], tmp_path / "old")
    report = read_report(old)
    report.pop("files")
    with pytest.raises(BuildFolderError, match="pins no files"):
        check_build_folder(old, report)


def test_report_pins_every_split(build_dirs: dict[str, Path], build_reports: dict[str, dict[str, Any]]) -> None:
    for config, folder in build_dirs.items():
        pins = build_reports[config]["files"]
        assert set(pins) == set(build_reports[config]["splits"])
        for split, pin in pins.items():
            assert pin["sha256"] == sha256_file(folder / pin["file"])
            assert pin["rows"] == build_reports[config]["splits"][split]["written"]


def test_empty_input_keeps_the_previous_build(build_dirs: dict[str, Path], tmp_path: Path) -> None:
    out = copy_build(build_dirs["sft"], tmp_path / "out")
    before = file_hashes(out)
    for name, text in (("empty.json", ""), ("list.json", "[]"), ("object.json", '{\n  "rows": []\n}\n')):
        (tmp_path / name).write_text(text)
        with pytest.raises(SourceError, match=name) as err:
            build(out, "sft", str(tmp_path / name))
        assert "no ToolRL records" in str(err.value) or "single JSON object" in str(err.value)
        assert file_hashes(out) == before


def test_a_build_never_overwrites_a_folder_that_is_not_a_build(tmp_path: Path, sample_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a build folder"):
        build(tmp_path / "mine", "rl", {"test": str(sample_path)})
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# A build in a subprocess that SIGKILLs itself at one point of the write.
KILL_AT = """
import os, signal, sys
from pathlib import Path
import pyarrow.parquet as pq
from rlla_4k_gpt.build import staging
from rlla_4k_gpt.build.write import build
from rlla_4k_gpt.build.sources import sample_path

point, out = sys.argv[1], sys.argv[2]
def die(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "writing":
    pq.ParquetWriter.write_batch = die
elif point == "before-switch":
    staging.switch = die
elif point == "after-exchange":
    exchange = staging._exchange
    staging._exchange = lambda a, b: (exchange(a, b), die())
elif point == "between-renames":
    staging._exchange = lambda a, b: False
    rename = Path.rename
    def rename_then_die(self, target):
        rename(self, target)
        if ".rlla-build-" in str(target):
            die()
    Path.rename = rename_then_die
build(out, "rl", {"test": str(sample_path())}, reasoning_effort="high")
"""


@pytest.mark.parametrize("point", ["writing", "before-switch", "after-exchange", "between-renames"])
def test_killed_build_leaves_the_old_or_the_new_build(point: str, build_dirs: dict[str, Path], rl_high: Path,
                                                       tmp_path: Path) -> None:
    out = copy_build(build_dirs["rl"], tmp_path / "rl")
    old, new = file_hashes(out), file_hashes(rl_high)
    proc = subprocess.run([sys.executable, "-c", KILL_AT, point, str(out)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if ".rlla-build-" in p.name]
    if point == "between-renames":
        assert not out.exists() and leftovers  # the one moment without a folder: the next build restores it
    else:
        got = {k: v for k, v in file_hashes(out).items() if k != REPORT_FILE}
        assert got in ({k: v for k, v in old.items() if k != REPORT_FILE}, {k: v for k, v in new.items() if k != REPORT_FILE})
        check_build_folder(out, read_report(out))  # complete and self-consistent
    # The next build restores or cleans up, and removes what the killed process left.
    from rlla_4k_gpt.build.staging import recover, remove_stale

    recover(out)
    check_build_folder(out, read_report(out))
    assert file_hashes(out) in (old, {**new, REPORT_FILE: file_hashes(out)[REPORT_FILE]})
    remove_stale(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if ".rlla-build-" in p.name] == []


def test_stale_temporary_folders_of_dead_builds_are_removed(tmp_path: Path, sample_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import tempfile

    stale = Path(tempfile.gettempdir()) / f"rlla-build-{dead.pid}-leftover"
    stale.mkdir(exist_ok=True)
    mine = Path(tempfile.gettempdir()) / f"rlla-build-{os.getpid()}-alive"
    mine.mkdir(exist_ok=True)
    try:
        build(tmp_path / "rl", "rl", {"test": str(sample_path)})
        assert not stale.exists()
        assert mine.exists()  # a live process's folder is left alone
    finally:
        shutil.rmtree(mine, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)


# ----------------------------------------------------------------------------- 2. secrets


@pytest.mark.parametrize("verbose", [False, True])
def test_token_echoed_by_the_hub_is_never_printed(verbose: bool, build_dirs: dict[str, Path], metric_dir: Path,
                                                  tmp_path: Path) -> None:
    with HubEmulator(tokens={"hf_AnotherWriterToken00000": "write"}, echo_auth=True) as hub:
        env = hub_env(hub.endpoint, tmp_path / "home", token=SECRET)
        proc = cli(*(["-v"] if verbose else []), *push_args(build_dirs["rl"], metric_dir), env=env)
        assert any(r.token == SECRET for r in hub.requests)  # the token was sent and echoed back
    assert proc.returncode == 1
    assert "401" in proc.stderr and "Bearer ***" in proc.stderr  # the echo arrived, masked
    assert SECRET not in proc.stdout + proc.stderr
    assert SECRET[3:20] not in proc.stdout + proc.stderr


def test_redact_masks_tokens_in_any_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "plainsecretvalue42")
    text = redact("a plainsecretvalue42 b Bearer abcdefgh123 c hf_xxxxxxxxxxxx d token=zzzzzzzzzz")
    assert "plainsecretvalue42" not in text and "abcdefgh123" not in text and "hf_xxxx" not in text
    assert "zzzzzzzzzz" not in text and text.startswith("a *** b Bearer ***")


# ----------------------------------------------------------------------------- 3. connection failures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def hangup_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts and closes every connection at once."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_refused_hub_connection_is_one_line(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    env = hub_env(f"http://127.0.0.1:{free_port()}", tmp_path / "home")
    env["HF_HUB_ETAG_TIMEOUT"] = env["HF_HUB_DOWNLOAD_TIMEOUT"] = "5"
    assert_one_error(cli(*push_args(build_dirs["rl"], metric_dir), env=env), "did not answer", "cannot connect")
    verbose = cli("-v", *push_args(build_dirs["rl"], metric_dir), env=env)  # -v adds the traceback
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr and "ConnectError" in verbose.stderr


def test_dropped_hub_connection_is_one_line(hangup_server: str, build_dirs: dict[str, Path], metric_dir: Path,
                                            tmp_path: Path) -> None:
    env = hub_env(hangup_server, tmp_path / "home")
    assert_one_error(cli(*push_args(build_dirs["rl"], metric_dir), env=env), "did not answer", "cannot connect")


@pytest.mark.parametrize("where", ["refused", "missing"])
def test_failed_source_download_names_url_and_cause(where: str, file_server: tuple[str, Path], tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}" if where == "refused" else file_server[0]
    url = f"{base}/train.parquet"
    line = assert_one_error(cli("build", "--raw", url, "--out", tmp_path / "o"), f"downloading {url} failed")
    assert line.split(f"downloading {url} failed:", 1)[1].strip()  # a cause follows the URL
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- 4. one config at a time


def test_push_sft_alone_then_rl(build_dirs: dict[str, Path], metric_dir: Path, tmp_path: Path) -> None:
    with HubEmulator() as hub:
        env = hub_env(hub.endpoint, tmp_path / "home")
        for config in ("sft", "rl"):
            proc = cli(*push_args(build_dirs[config], metric_dir), env=env)
            assert proc.returncode == 0, proc.stderr
        out = run_client(f"""
            import json
            from datasets import load_dataset
            default = load_dataset({DATASET!r})
            sft = load_dataset({DATASET!r}, "sft")
            print(json.dumps({{"default": {{s: default[s].num_rows for s in default}},
                               "sft": {{s: sft[s].num_rows for s in sft}}}}))
        """, hub_env(hub.endpoint, tmp_path / "client"))
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts["default"] == {s: p["rows"] for s, p in read_report(build_dirs["rl"])["files"].items()}
    assert counts["sft"] == {s: p["rows"] for s, p in read_report(build_dirs["sft"])["files"].items()}


# ----------------------------------------------------------------------------- 5. reward inputs

GT = ('<|channel|>analysis<|message|>Need it.<|end|><|start|>assistant to=functions.get_weather'
      '<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200).filter(lambda t: "<|message|>" not in t))
def test_ground_truth_without_harmony_messages_raises(text: str) -> None:
    with pytest.raises(core.GroundTruthError):
        core.toolrl_reward(GT, text, variant="default")


@pytest.mark.parametrize("bad", ["final answer: 42", 'analysis: <tool_call>{"name": "f"}</tool_call>'])
def test_issue_examples_of_malformed_ground_truths_raise(bad: str) -> None:
    with pytest.raises(core.GroundTruthError, match="not harmony text"):
        core.compute_score("rlla_gpt", GT, bad)


@pytest.mark.parametrize("bad", [{"style": "rule", "ground_truth": GT}, [GT], None, 3])
def test_non_string_ground_truth_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(core.GroundTruthError, match="ground truth must be a string"):
        core.compute_score("rlla_gpt", GT, bad)
    with pytest.raises(core.GroundTruthError, match="ground truth must be a string"):
        core.parse_ground_truth(bad)


def test_whole_reward_model_hint() -> None:
    with pytest.raises(core.GroundTruthError, match=r"reward_model\['ground_truth'\]"):
        core.compute_score("rlla_gpt", GT, {"style": "rule", "ground_truth": GT})


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=400))
def test_numpy_integer_steps_score_like_ints(step: int) -> None:
    for variant in ("schedulereward", "schedulelength+withlength", "max1step30max3"):
        want = core.toolrl_reward(GT, GT, step=step, variant=variant)
        assert core.toolrl_reward(GT, GT, step=np.int64(step), variant=variant) == want
        assert core.toolrl_reward(GT, GT, step=np.int32(step), variant=variant) == want


def test_numpy_steps_in_batches() -> None:
    steps = np.array([0, 40, 149])
    want = core.score_batch([GT] * 3, [GT] * 3, steps=[0, 40, 149], variant="schedulereward")
    assert core.score_batch([GT] * 3, [GT] * 3, steps=steps, variant="schedulereward") == want
    one = core.score_batch([GT] * 2, [GT] * 2, steps=np.int64(40), variant="schedulereward")
    assert one == core.score_batch([GT] * 2, [GT] * 2, steps=40, variant="schedulereward")


def test_numpy_token_ids_score_like_lists(built_rows: list[dict[str, Any]], harmony: Any) -> None:
    for row in built_rows[::7]:
        truth = row["reward_model"]["ground_truth"]
        ids = harmony.encode(truth, allowed_special="all")
        want = core.toolrl_reward(ids, truth, variant="default")
        assert want.score == core.toolrl_reward(truth, truth, variant="default").score
        assert core.toolrl_reward(np.array(ids, dtype=np.int64), truth, variant="default") == want
        assert core.toolrl_reward([np.int64(i) for i in ids], truth, variant="default") == want


def test_float_arrays_are_not_token_ids() -> None:
    with pytest.raises(TypeError, match="unsupported completion type"):
        core.toolrl_reward(np.array([1.5, 2.5]), GT, variant="default")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_bytes_likes_score_as_their_text(text: str) -> None:
    data = text.encode("utf-8")
    want = core.toolrl_reward(text, GT, variant="default")
    assert core.toolrl_reward(memoryview(data), GT, variant="default") == want
    assert core.toolrl_reward(bytearray(data), GT, variant="default") == want


_UNSERIALISABLE = st.one_of(st.builds(set, st.lists(st.integers(), max_size=3)), st.builds(object),
                            st.builds(lambda: {"a": float("nan"), "b": {1, 2}}), st.binary(max_size=5))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_UNSERIALISABLE, st.sampled_from(["get_weather", "f"]))
def test_chat_dicts_with_unserialisable_arguments_never_raise(arguments: Any, name: str) -> None:
    messages = [{"role": "assistant", "thinking": "Need it.",
                 "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}]}]
    result = core.toolrl_reward(messages, GT, variant="default")
    assert result.score < core.toolrl_reward(GT, GT, variant="default").score


# ----------------------------------------------------------------------------- 6. the metric and token ids


def test_metric_accepts_token_ids(built_rows: list[dict[str, Any]], harmony: Any) -> None:
    import evaluate

    metric = evaluate.load(str(Path(__file__).parents[1] / "metric" / "toolrl_gpt_oss_reward"))
    truths = [r["reward_model"]["ground_truth"] for r in built_rows[:20]]
    ids = [harmony.encode(t, allowed_special="all") for t in truths]
    by_ids = metric.compute(predictions=ids, references=truths)
    by_text = metric.compute(predictions=truths, references=truths)
    assert by_ids["per_sample_score"] == by_text["per_sample_score"]
    assert by_ids["per_sample_score"] == [core.toolrl_reward(t, t, variant="default").score for t in truths]


# ----------------------------------------------------------------------------- 7. sources


def test_sources_are_recorded_and_can_be_pinned(file_server: tuple[str, Path], sample_path: Path, tmp_path: Path) -> None:
    base, root = file_server
    served = root / "test.parquet"
    shutil.copy(sample_path, served)
    url = f"{base}/test.parquet"
    report = build(tmp_path / "ok", "rl", url, sha256={url: sha256_file(sample_path)})
    [source] = report.sources
    assert source["origin"] == url and source["size"] == sample_path.stat().st_size
    assert source["sha256"] == hashlib.sha256(sample_path.read_bytes()).hexdigest()
    card = sources_section({"rl": report.to_dict()})
    assert url in card and source["sha256"] in card
    served.write_bytes(served.read_bytes()[:-1] + b"\0")  # tampered upstream
    with pytest.raises(SourceError, match="differs from the expected"):
        build(tmp_path / "bad", "rl", url, sha256={url: sha256_file(sample_path)})
    assert not (tmp_path / "bad").exists()


def test_cli_sha256_flag(sample_path: Path, tmp_path: Path) -> None:
    local = tmp_path / "test.parquet"
    shutil.copy(sample_path, local)
    assert_one_error(cli("build", "--raw", local, "--sha256", "0" * 64, "--out", tmp_path / "o"),
                     "differs from the expected")
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- 8. interrupts


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    out = tmp_path / "sft"
    proc = subprocess.Popen([*CLI, "build", "--config", "sft", "--raw", str(SFT_FIXTURE), "--out", str(out)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(".rlla-build-" in p.name for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert [line for line in stderr.splitlines() if line.startswith("ERROR")] == [
        "ERROR rlla_4k_gpt: interrupted; nothing half-written was left in place"]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []
