"""The live check: which accounts to probe, a bounded scheduler, and failures as findings.

Imports `config`, `credentials` and `registry`; returns results, never prints (the CLI reports).
"""
