"""Privacy (docs/privacy.md): what the warehouse publishes of a person, and how it forgets one.

keys        the secret key flows.yaml `privacy.key_env` names, and keyed hashes with it
pseudonyms  pseudonymous publishing (`privacy.pseudonymize`, `privacy.min_group`): every
            answer of the endpoints, shared by publish, report, serve and the dashboard
people      what a person owns in each product, declared once: which records are theirs,
            which name them (raw lines and warehouse rows alike)
forgotten   the forgotten list: keyed hashes that keep a forgotten person out of ingests
forget      `usage-warehouse forget`: a person erased from every layer, crash-safe
"""
