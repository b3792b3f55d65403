"""Archives in, records out: reading inputs, scoring them in batches, writing the output.

``sources`` reads files, folders and stdin into documents (``html_text`` for HTML),
``run`` scores them in bounded batches, here, in worker processes or on a dask
cluster, and ``writers`` formats the records as JSONL, CSV or a terminal report.
"""
