"""Privacy (docs/privacy.md): who a person is in each product, and the keys that hash them.

keys        the secret key flows.yaml `privacy.key_env` names, and keyed hashes with it
people      what a person owns in each product, declared once: which records are theirs,
            which name them (raw lines and warehouse rows alike)
forgotten   the forgotten list: keyed hashes that keep a forgotten person out of ingests

What uses them sits on the floors above: endpoints/pseudonyms.py (pseudonymous answers)
and forget.py (`usage-warehouse forget`).
"""
