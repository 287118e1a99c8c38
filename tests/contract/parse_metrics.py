#!/usr/bin/env python3
"""Parses a Prometheus text exposition read from stdin with prometheus_client's own parser.

Prints "<family> <type> <samples>" for each metric family and exits 0, or names the parse error
and exits 1. Tests compare the printed families with the ones they expect.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        for family in text_string_to_metric_families(text):
            print(f"{family.name} {family.type} {len(family.samples)}")
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                print(f"  {sample.name}{{{labels}}} {sample.value}")
    except Exception as error:  # the parser raises ValueError and friends on bad input
        print(f"metrics: not valid exposition format: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
