"""Latency estimates from a hardware profile, and fitting profiles to measurements."""

from graphcost.latency.model import KernelLatency, LatencyResult, estimate_latency

__all__ = ["KernelLatency", "LatencyResult", "estimate_latency"]
