"""Benchmark the ToolRL reward on gpt-oss completions (prints numbers; not a test).

1. Throughput (scores/s, one process) on realistic GRPO-like batches: 8 completions per ground
   truth, about 600 characters on average, one in ten with several hundred words of analysis, mixed
   input forms (harmony text with the recipient in either place, skip_special_tokens text) and
   mixed quality (exact, partial, wrong, garbage).
2. The entry points against the core, as ratios measured in this run: verl's ``compute_score``
   (ToolRL's environment variables) and the TRL reward functions (the total, and the three
   components TRL logs, on text and on ``completion_ids``). Target: each ratio >= 0.90.
   With ``--toolrl PATH/TO/rlla.py`` (ToolRL's ``verl/utils/reward_score/rlla.py``, not shipped
   here), also the core against ToolRL's own ``compute_score`` on the same cases in ToolRL's
   XML format (its prints go to /dev/null).
3. Worst-case time on 1 MB adversarial completions.
4. ``evaluate`` metric ``compute`` time on 10k predictions.

With ``--against REV`` (e.g. ``--against HEAD~1``), only this instead: the core as committed at
git revision REV against the working tree's core, both timed in alternating rounds on the same
cases in this process, and their ratio (the median over rounds of working tree / REV; target for
a refactoring: >= 0.90).

Targets: >= 60,000 scores/s, <= 50 ms per 1 MB adversarial completion, <= 2 s for compute on 10k.

    python scripts/bench_reward.py [--seconds 3] [--against REV] [--ratios-only]
                                   [--toolrl /path/to/ToolRL/verl/utils/reward_score/rlla.py]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from rlla_4k_gpt.reward import make_trl_reward_func
from rlla_4k_gpt.reward import toolrl_reward_core as working_core
from rlla_4k_gpt.reward.toolrl_reward_core import Variant, compute_score, toolrl_reward

ROOT = Path(__file__).resolve().parents[1]
CORE_PATH = "rlla_4k_gpt/reward/toolrl_reward_core.py"
WORDS = "the user wants to know weather city tool call parameters first check which function fits best".split()
SPECIAL = re.compile(r"<\|[a-z]+\|>")
MB = 1 << 20
ROUNDS = 10  # alternating rounds per entry-point ratio
CLOCK = time.process_time  # throughput in CPU time of this process: other jobs on the machine do not count
EXTRA = {"split": "train", "index": 0, "tools_kwargs": {}, "global_steps": 4}  # like verl 0.9's extra_info


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def render(think: str, calls: list[tuple[str, dict]], reply: str | None, channel_recipient: bool = False) -> str:
    parts = [f"<|channel|>analysis<|message|>{think}<|end|>"]
    for name, args in calls:
        if channel_recipient:
            head = f"<|start|>assistant<|channel|>commentary to=functions.{name} <|constrain|>json"
        else:
            head = f"<|start|>assistant to=functions.{name}<|channel|>commentary <|constrain|>json"
        parts.append(f"{head}<|message|>{json.dumps(args)}<|call|>")
    if reply is not None:
        parts.append(f"<|start|>assistant<|channel|>final<|message|>{reply}<|return|>")
    return "".join(parts)


def random_call(rng: random.Random) -> tuple[str, dict]:
    name = rng.choice(["get_weather", "search_flights", "lookup_stock", "convert_currency", "send_email"])
    keys = rng.sample(["city", "date", "symbol", "amount", "to", "unit", "limit"], rng.randint(1, 4))
    return name, {k: rng.choice([rng.randint(0, 99), words(rng, 2), True, 2.5]) for k in keys}


def render_xml(think: str, calls: list[tuple[str, dict]], reply: str | None) -> str:
    """The same turn in ToolRL's format (what its rlla.py scores)."""
    text = f"<think>{think}</think>"
    if calls:
        lines = "\n".join(json.dumps({"name": name, "parameters": args}) for name, args in calls)
        text += f"\n<tool_call>\n{lines}\n</tool_call>"
    if reply is not None:
        text += f"\n<response>{reply}</response>"
    return text


XML_PAIRS: list[tuple[str, str]] = []  # filled by workload(): the same cases in ToolRL's format


def workload(rng: random.Random, groups: int = 256, per_group: int = 8) -> list[tuple[str, str]]:
    """(completion, ground truth) pairs, GRPO-style: several completions share a ground truth."""
    pairs = []
    XML_PAIRS.clear()
    for _ in range(groups):
        calls = [random_call(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        reply = words(rng, 12) if rng.random() < 0.2 else None
        gt_think, gt_calls = words(rng, 15), calls if reply is None or rng.random() < 0.5 else []
        truth, xml_truth = render(gt_think, gt_calls, reply), render_xml(gt_think, gt_calls, reply)
        for _ in range(per_group):
            n_words = rng.randint(250, 500) if rng.random() < 0.1 else rng.randint(20, 45)
            pred_calls = [(n, dict(a)) for n, a in calls]
            roll = rng.random()
            if roll < 0.3 and pred_calls:
                key = rng.choice(list(pred_calls[0][1]))
                pred_calls[0][1][key] = "wrong"
            elif roll < 0.4:
                pred_calls = [random_call(rng)]
            think = words(rng, n_words)
            text = render(think, pred_calls, reply, channel_recipient=rng.random() < 0.5)
            xml = render_xml(think, pred_calls, reply)
            if roll > 0.95:
                text = xml = words(rng, 60)
            elif rng.random() < 0.5:
                text = SPECIAL.sub("", text)  # what verl/TRL decode with skip_special_tokens=True
            pairs.append((text, truth))
            XML_PAIRS.append((f"<|im_start|>assistant\n{xml}<|im_end|>", xml_truth))
    return pairs


def throughput(pairs: list[tuple[str, str]], seconds: float, score: Callable[[str, str], object]) -> float:
    count, started = 0, CLOCK()
    while CLOCK() - started < seconds:
        for completion, truth in pairs:
            score(completion, truth)
        count += len(pairs)
    return count / (CLOCK() - started)


def trl_throughput(
    batches: list[tuple[list[Any], list[str]]], seconds: float, funcs: list[Callable[..., list[float]]], ids: bool
) -> float:
    """scores/s of TRL reward functions called as TRL calls them: per batch, each function in turn."""
    count, started = 0, CLOCK()
    while CLOCK() - started < seconds:
        for inputs, truths in batches:
            for func in funcs:
                if ids:
                    func(prompts=None, completions=[""] * len(inputs), completion_ids=inputs, ground_truth=truths)
                else:
                    func(prompts=None, completions=inputs, ground_truth=truths)
            count += len(inputs)
    return count / (CLOCK() - started)


def as_batches(pairs: list[tuple[Any, str]], size: int = 64) -> list[tuple[list[Any], list[str]]]:
    return [([c for c, _ in pairs[i : i + size]], [t for _, t in pairs[i : i + size]]) for i in range(0, len(pairs), size)]


def entry_point_ratios(pairs: list[tuple[str, str]], seconds: float) -> list[tuple[str, float, float]]:
    """(name, median scores/s, median ratio to the core on the same inputs) over short rounds."""
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    from rlla_4k_gpt.vocab import ensure_offline_vocab

    ensure_offline_vocab()  # openai-harmony reads the local o200k_base, no download
    enc = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    id_pairs = [(enc.encode(c, allowed_special="all"), t) for c, t in pairs]
    default = Variant()
    components = [make_trl_reward_func(c) for c in ("format", "correctness", "length")]
    core_text = lambda t: throughput(pairs, t, lambda c, g: toolrl_reward(c, g, variant=default))  # noqa: E731
    core_ids = lambda t: throughput(id_pairs, t, lambda c, g: toolrl_reward(c, g, variant=default))  # noqa: E731
    rows = []
    for name, measure, core in [
        ("compute_score (verl, env variables)", lambda t: throughput(pairs, t, lambda c, g: compute_score("rlla_gpt", c, g, EXTRA)), core_text),
        ("TRL toolrl_reward_func, text", lambda t: trl_throughput(as_batches(pairs), t, [make_trl_reward_func()], False), core_text),
        ("TRL three components, text", lambda t: trl_throughput(as_batches(pairs), t, components, False), core_text),
        ("TRL three components, completion_ids", lambda t: trl_throughput(as_batches(id_pairs), t, components, True), core_ids),
    ]:
        # Short rounds, the two measured back to back (in alternating order): the ratio of each
        # round sees the same machine load; the median over the rounds is reported.
        rates, ratios = [], []
        for i in range(ROUNDS):
            first, second = (core, measure) if i % 2 == 0 else (measure, core)
            a, b = first(seconds / ROUNDS), second(seconds / ROUNDS)
            base, rate = (a, b) if i % 2 == 0 else (b, a)
            rates.append(rate)
            ratios.append(rate / base)
        rows.append((name, statistics.median(rates), statistics.median(ratios)))
    return rows


def toolrl_ratio(path: Path, pairs: list[tuple[str, str]], seconds: float) -> tuple[float, float, float]:
    """(core scores/s, ToolRL's rlla.py scores/s, ratio) on the same cases, ToolRL in its format."""
    spec = importlib.util.spec_from_file_location("toolrl_rlla", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.environ.setdefault("EXPERIMENT_NAME", "qwen-bench")  # ToolRL picks its chat markers by name
    default = Variant()
    ours = theirs = 0.0
    with open(os.devnull, "w") as sink:
        for _ in range(ROUNDS):
            ours = max(ours, throughput(pairs, seconds / ROUNDS, lambda c, t: toolrl_reward(c, t, variant=default)))
            with contextlib.redirect_stdout(sink):
                theirs = max(theirs, throughput(XML_PAIRS, seconds / ROUNDS, lambda c, t: module.compute_score(c, t, step=1)))
    return ours, theirs, ours / theirs


def core_at(rev: str) -> ModuleType:
    """The reward core as committed at git revision ``rev``, imported under another module name."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{CORE_PATH}"], check=True, capture_output=True, text=True
    ).stdout
    name = "toolrl_reward_core_at_" + re.sub(r"\W", "_", rev)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot load {CORE_PATH} at {rev}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their class's module up in sys.modules
        spec.loader.exec_module(module)
    return module


def core_ratio(old: ModuleType, pairs: list[tuple[str, str]], seconds: float, variant: str) -> tuple[float, float, float]:
    """Median scores/s of ``old`` and of the working tree's core, timed in alternating rounds, and
    the median over rounds of their ratio (two back-to-back runs see the same machine load)."""
    scorers = []
    for core in (old, working_core):
        chosen = core.variant_from_name(variant)
        scorers.append(lambda c, t, core=core, chosen=chosen: core.toolrl_reward(c, t, variant=chosen))
    for score in scorers:  # warm up: fill each core's caches (ground truths, headers) once
        for completion, truth in pairs:
            score(completion, truth)
    rates: list[list[float]] = [[], []]
    for i in range(2 * ROUNDS):
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            rates[which].append(throughput(pairs, seconds / (2 * ROUNDS), scorers[which]))
    ratios = [after / before for before, after in zip(*rates)]
    return statistics.median(rates[0]), statistics.median(rates[1]), statistics.median(ratios)


def print_against(rev: str, pairs: list[tuple[str, str]], seconds: float) -> None:
    old = core_at(rev)
    print(f"the core at {rev} against the working tree's core, alternating rounds on the same cases:")
    for variant in ("default", "withlength+typed+optimal"):
        before, after, ratio = core_ratio(old, pairs, seconds, variant)
        print(f"  {variant:26s} scores/s  {rev}: {before:,.0f}  working tree: {after:,.0f}  ratio: {ratio:.3f}")


def adversarial() -> dict[str, str]:
    def distinct(template: str) -> str:
        out, size, i = [], 0, 0
        while size < MB:
            piece = template.format(i)
            out.append(piece)
            size += len(piece)
            i += 1
        return "".join(out)

    head = "<|channel|>analysis<|message|>x<|end|>"
    call = "<|start|>assistant to=functions.f<|channel|>commentary <|constrain|>json<|message|>"
    return {
        "repeated <|start|>": "<|start|>" * (MB // 9),
        "repeated call messages": head + (call + "{}<|call|>") * (MB // 80),
        "distinct call messages": head + distinct(call + '{{"a": {0}}}<|call|>'),
        "distinct names": head + distinct("<|start|>assistant to=functions.f{0}<|channel|>commentary<|message|>{{}}<|call|>"),
        "1 MB header": "<|start|>assistant to=" + " " * MB + "<|message|>{}",
        "unbalanced specials": "<|message|><|channel|><|constrain|>" * (MB // 35),
        "deep JSON": head + call + "[" * MB,
        "deep JSON object": head + call + '{"a":' * (MB // 5),
        "huge number": head + call + '{"a": ' + "9" * MB + "}",
        "NaN/Infinity args": head + distinct(call + '{{"a": NaN, "b": Infinity, "c": -1e999, "i": {0}}}<|call|>'),
        "stripped: long name": "assistant to=functions." + "a" * MB,
        "stripped: repeated calls": "analysisx" + "assistantcommentary to=functions.f json{}" * (MB // 41),
        "stripped: distinct calls": "analysisx" + distinct('assistantcommentary to=functions.f json{{"a": {0}}}'),
        "stripped: distinct keys": "analysisx" + distinct('assistantcommentary to=functions.g json{{"k{0}": 1, "a": 1}}'),
        "'assistant' soup": "assistant" * (MB // 9),
        "1 MB analysis": "<|channel|>analysis<|message|>" + "w " * (MB // 2) + "<|end|>",
        "'<|' soup": "<|" * (MB // 2),
        "random bytes": random.Random(0).randbytes(MB).decode("utf-8", errors="replace"),
    }


def worst_case(repeats: int = 3) -> list[tuple[str, float]]:
    truth = render("t", [("f", {"a": 1}), ("g", {})], "ok")
    timings = []
    for variant in (Variant(with_length=True), Variant(typed_match=True, optimal_assignment=True)):
        for name, text in adversarial().items():
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                toolrl_reward(text, truth, variant=variant)
                best = min(best, time.perf_counter() - started)
            timings.append((f"{name} [{'+'.join(variant.names())}]", best * 1000))
    return timings


def metric_compute(pairs: list[tuple[str, str]], n: int = 10_000) -> float:
    import evaluate

    metric = evaluate.load(str(ROOT / "metric" / "toolrl_gpt_oss_reward"))
    batch = (pairs * (n // len(pairs) + 1))[:n]
    predictions, references = [p for p, _ in batch], [t for _, t in batch]
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        metric.compute(predictions=predictions, references=references)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    parser.add_argument("--toolrl", type=Path, help="ToolRL's verl/utils/reward_score/rlla.py, for a ratio against it")
    parser.add_argument("--against", metavar="REV", help="only time the core at git revision REV against the working tree's")
    parser.add_argument("--ratios-only", action="store_true", help="skip the worst-case and metric parts")
    args = parser.parse_args()
    pairs = workload(random.Random(0))
    mean_chars = statistics.mean(len(c) for c, _ in pairs)
    print(f"workload: {len(pairs)} completions, mean {mean_chars:.0f} chars, {len({t for _, t in pairs})} ground truths")
    if args.against:
        print_against(args.against, pairs, args.seconds)
        return
    default = Variant()
    rate = throughput(pairs, args.seconds, lambda c, t: toolrl_reward(c, t, variant=default))
    print(f"toolrl_reward (explicit variant):      {rate:10,.0f} scores/s   (target >= 60,000)")
    print("entry points against the core on the same inputs (target: ratio >= 0.90):")
    for name, rate, ratio in entry_point_ratios(pairs, args.seconds):
        print(f"  {name:40s} {rate:10,.0f} scores/s   ratio {ratio:.3f}")
    if args.toolrl:
        ours, theirs, ratio = toolrl_ratio(args.toolrl, pairs, args.seconds)
        print(f"core vs ToolRL's rlla.py: {ours:,.0f} vs {theirs:,.0f} scores/s, {ratio:.1f}x")
    if args.ratios_only:
        return
    wide = Variant(with_length=True, typed_match=True, optimal_assignment=True)
    rate = throughput(pairs, args.seconds, lambda c, t: toolrl_reward(c, t, variant=wide))
    print(f"withlength + typed + optimal:          {rate:10,.0f} scores/s")
    timings = worst_case()
    print("1 MB adversarial completions (best of 3):")
    for name, ms in timings:
        print(f"  {name:60s} {ms:7.1f} ms")
    default = [t for t in timings if "optimal" not in t[0]]
    name, ms = max(default, key=lambda x: x[1])
    print(f"worst case, ToolRL variants: {ms:.1f} ms ({name})   (target <= 50 ms)")
    name, ms = max(timings, key=lambda x: x[1])
    print(f"worst case, incl. opt-in typed+optimal: {ms:.1f} ms ({name})")
    print(f"evaluate compute on 10k predictions:   {metric_compute(pairs):.2f} s   (target <= 2 s)")


if __name__ == "__main__":
    main()
