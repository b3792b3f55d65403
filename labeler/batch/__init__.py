"""Archives in, records out: reading inputs, scoring them in batches, writing the output.

``sources`` reads files, folders and stdin into documents (``files`` finds them;
``jsonl``, ``csv_rows`` and ``html_text`` read their formats; ``documents`` is what
reading yields), ``run`` scores them in bounded batches, here, in worker processes or on
a dask cluster, and ``writers`` formats the records as JSONL, CSV or a terminal report.
"""
