"""The Import & export page: score uploaded files into the store, with a column picker
for CSV and JSONL (the text field and the id field, as ``labeler score --text-field /
--id-field``); download the reviewed passages.

The type and size of an upload are checked here, whatever the browser let through; a file
is read from memory (its uploaded name never becomes a path) and its documents are stored
under that name. A name, or a field name, never goes into markdown or a widget's label:
names are shown in code blocks, as inert text.
"""

from __future__ import annotations

import streamlit as st

from labeler.batch.documents import ReadOptions
from labeler.batch.files import UPLOAD_TYPES, is_upload_type
from labeler.batch.into_store import score_into_store
from labeler.batch.sources import read_upload, upload_fields
from labeler.dashboard.session import current_model_dir
from labeler.store.export import render
from labeler.store.store import Store

MAX_UPLOAD_MB = 50
NO_ID = None  # the id picker's "no id field": documents are named by file and line


def show_import_export(store: Store) -> None:
    """Score uploaded files into the store; download reviewed passages."""
    st.header("Import documents")
    uploads = st.file_uploader(
        f"Text, HTML, JSONL or CSV files (up to {MAX_UPLOAD_MB} MB each)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="uploads",
    )
    chosen = [(upload, read_options(n, upload.name, upload.getvalue())) for n, upload in
              enumerate(uploads or [])]  # fmt: skip
    if uploads and st.button("Score into the store", key="score_uploads"):
        for upload, options in chosen:
            score_upload(store, upload.name, upload.getvalue(), options)
    st.header("Export reviewed passages")
    rows = list(store.labelled.rows())
    st.caption(f"{len(rows)} reviewed passages")
    for fmt, mime in (("csv", "text/csv"), ("jsonl", "application/jsonl")):
        st.download_button(
            f"Download {fmt.upper()}",
            render(rows, fmt),
            f"reviewed.{fmt}",
            mime=mime,
            key=f"export_{fmt}",
        )


def read_options(number: int, name: str, data: bytes) -> ReadOptions:
    """The column picker of upload ``number`` (a CSV or JSONL file): which field holds the
    text and which the id, offered from the file's own fields; ``text`` and ``id`` first
    when the file has them, else the first field that is not ``id`` holds the text. Other
    files are read as they are."""
    fields = upload_fields(name, data)
    if not fields:
        return ReadOptions()
    st.caption("Fields of this file:")
    st.code(name, language=None)
    left, right = st.columns(2)
    text = left.selectbox(
        "Text field",
        fields,
        index=text_default(fields),
        key=f"text_field-{number}",
    )
    ids = [NO_ID, *fields]
    doc_id = right.selectbox(
        "Id field",
        ids,
        index=ids.index("id") if "id" in ids else 0,
        format_func=lambda field: "none: name by file and line" if field is NO_ID else field,
        key=f"id_field-{number}",
    )
    return ReadOptions(text_field=text, id_field="" if doc_id is NO_ID else doc_id)


def text_default(fields: list[str]) -> int:
    """Where the text field picker starts: ``text``, else the first field but ``id``.

    >>> text_default(["id", "body", "text"]), text_default(["id", "body"]), text_default(["id"])
    (2, 1, 0)
    """
    if "text" in fields:
        return fields.index("text")
    return next((i for i, field in enumerate(fields) if field != "id"), 0)


def score_upload(store: Store, name: str, data: bytes, options: ReadOptions) -> None:
    """Score one uploaded file into the store, reporting what could not be scored. A file
    from which nothing was stored is an error, not a success."""
    if not is_upload_type(name):
        st.error(f"Not imported: only {', '.join('.' + t for t in UPLOAD_TYPES)} files")
        st.code(name, language=None)
        return
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"Not imported: {len(data) / 2**20:.1f} MB is over the {MAX_UPLOAD_MB} MB limit")
        st.code(name, language=None)
        return
    stats, messages = score_into_store(read_upload(name, data, options), store, current_model_dir())
    if stats.documents:
        st.success(f"Scored {stats.documents} documents ({stats.passages} passages) from one file.")
    else:
        st.error("Nothing stored: no document in this file could be scored.")
    st.code(name, language=None)
    if messages:
        st.error(f"{len(messages)} records could not be scored:")
        st.code("\n".join(messages), language=None)
