"""Retention (flows.yaml `retention:`, docs/privacy.md).

policy  what each layer keeps of a source; the check, at load, that no published window
        reads what would be dropped
drop    what a run drops once the facts that aggregate it are built
"""
