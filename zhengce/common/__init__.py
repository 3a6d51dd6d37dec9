"""zhengce.common: the machinery every layer shares, below all of them.

- :mod:`.parallel` — the one parallel executor (local processes or a Dask cluster);
- :mod:`.progress` — the one progress reporter (counts, rate, time left; a summary line);
- :mod:`.periods` — the WTO accession date and the pre/post-2001 rule, defined once;
- :mod:`.hashing` — content hashes of configurations and files.

Nothing here imports another zhengce package (import-linter checks it).
"""
