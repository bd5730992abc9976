"""Compare two models and attribute their latency difference to its causes."""
