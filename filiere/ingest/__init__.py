"""Ingestion: spreadsheets in, a validated graph out (see ``docs/dataset-format.md``).

The pipeline is ``read_tables`` (files -> :class:`RawTable`) -> ``check`` (every
problem at once, as ``FILE:LINE: message``; compact rows, not a pydantic model per
row) -> ``RecordStream`` -> ``store.write_records`` (one atomic write; the embedded
store writes the records as they are made). A refused dataset writes nothing.
``validate`` (-> :class:`~filiere.graph.model.Dataset`) and ``build_batch`` (->
:class:`~filiere.graph.records.GraphBatch`) give the same checks and records in
memory, for callers that want them whole.

- :func:`load` -- a dataset on disk: a folder of CSV files, an ``.xlsx`` workbook, a
  JSON file, a ``.zip`` of CSV files, or a single CSV file.
- :func:`read_upload` -- an uploaded file's bytes (``.xlsx``, ``.zip`` of CSVs,
  ``.json``, ``.csv``), for the HTTP API; then :func:`load_tables`.
- :func:`load_tables` -- tables built by other code (real-source adapters), with their
  own file names and line numbers.
- :func:`export_dataset` -- the store back to CSV files of the same format
  (:func:`export_dataset_json`: one JSON file).
"""

from filiere.ingest.export import export_dataset, export_dataset_json
from filiere.ingest.load import LoadReport, load, load_tables
from filiere.ingest.readers import dataset_name, read_tables, read_upload
from filiere.ingest.tables import RawTable, table_from_cells
from filiere.ingest.validate import validate

__all__ = [
    "LoadReport",
    "RawTable",
    "dataset_name",
    "export_dataset",
    "export_dataset_json",
    "load",
    "load_tables",
    "read_tables",
    "read_upload",
    "table_from_cells",
    "validate",
]
