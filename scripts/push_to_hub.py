#!/usr/bin/env python
"""Publish the dataset and the metric Space: the same code as ``rlla-4k-gpt push``.

Example:
    python scripts/push_to_hub.py --dataset-repo org/rlla_4k_gpt --metric-repo org/toolrl_gpt_oss_reward \\
        --build build/rl --build build/sft --tag v1.0.0 --dry-run
"""

from __future__ import annotations

import sys

from rlla_4k_gpt.cli import main

if __name__ == "__main__":
    sys.exit(main(["push", *sys.argv[1:]]))
