"""File imports on both stores: good rows load, bad ones are reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from esperia.config import Settings
from esperia.errors import InvalidInput, SchemaError
from esperia.ingest import ImportOptions, import_file
from esperia.store import Store

CUSTOMERS = (
    "customer_id,name,email,birth_year,consent_marketing,first_seen_at,loyalty_tier\n"
    "C1,Anna Rossi,anna@example.it,1980,sì,2024-01-02T10:00:00+01:00,gold\n"
    "C2,Bruno,bruno@example.it,19x0,no,2024-02-03,silver\n"
    "C3,Carla,,1999,forse,2024-03-01,\n"
    "C4,Dario,,2001,yes,2024-13-45,\n"
    ",Senza id,,,,,\n"
    "C5,Elena,,1975,0,2024-05-06 08:30,bronze\n"
)
TOUCHPOINTS = (
    "touchpoint_id,name,channel,contact,medium,stage\n"
    "TP-STORE,Negozio Milano,Store,direct,physical,purchase\n"
    "TP-WEB,Sito,web,direct,digital,consideration\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def as_json(value: object) -> object:
    """JSON columns come back as text from DuckDB and parsed from PostgreSQL."""
    return value if isinstance(value, dict | list) else json.loads(str(value))


def count(store: Store, table: str) -> int:
    with store.connect() as conn:
        return int(conn.scalar(f"SELECT count(*) FROM {table}"))


def test_good_rows_load_bad_rows_reported_and_rerun_adds_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    source = write(tmp_path / "customers.csv", CUSTOMERS)
    summary = import_file(store, settings, "customers", source)

    assert (summary.read, summary.loaded, summary.rejected) == (6, 2, 4)
    problems = {(r.row, r.column, r.value) for r in summary.rejects}
    assert problems == {
        (3, "birth_year", "19x0"),
        (4, "consent_marketing", "forse"),
        (5, "first_seen_at", "2024-13-45"),
        (6, "customer_id", None),
    }
    assert all(r.reason for r in summary.rejects)
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT customer_id, birth_year, consent_marketing, attributes "
            "FROM customers ORDER BY customer_id"
        )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("C1", 1980, True),
        ("C5", 1975, False),
    ]
    assert as_json(rows[0][3]) == {"loyalty_tier": "gold"}

    assert summary.rejects_file is not None
    with open(summary.rejects_file, newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert {(int(w["row"]), w["column"]) for w in written} == {
        (r, c) for r, c, _ in problems
    }
    assert {w["file"] for w in written} == {str(source)}

    again = import_file(store, settings, "customers", source)
    assert (again.loaded, again.duplicates, again.rejected) == (0, 2, 4)
    assert count(store, "customers") == 2
    with store.connect() as conn:
        logged = conn.fetchall(
            "SELECT loaded_rows, duplicate_rows, rejected_rows FROM imports "
            "ORDER BY import_id"
        )
    assert logged == [(2, 0, 4), (0, 2, 4)]


def test_mapping_delimiter_cp1252_decimal_comma_and_dayfirst(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    import_file(
        store, settings, "customers", write(tmp_path / "c.csv", "customer_id\nC1\n")
    )
    import_file(store, settings, "touchpoints", write(tmp_path / "t.csv", TOUCHPOINTS))
    text = (
        "Codice ordine;Cliente;Data;Importo €;Margine\n"
        "O1;C1;31/12/2024 18:30;1.234,50;200,25\n"
        "O2;C1;01/02/2025;9,99;\n"
    )
    source = write(tmp_path / "ordini.csv", text, encoding="cp1252")
    options = ImportOptions(
        mapping={
            "Codice ordine": "order_id",
            "cliente": "customer_id",
            "data": "ordered_at",
            "importo €": "revenue",
            "margine": "margin",
        },
        decimal=",",
        dayfirst=True,
    )
    summary = import_file(store, settings, "orders", source, options)
    assert (summary.loaded, summary.rejected) == (2, 0), summary.rejects
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT order_id, revenue, margin, CAST(ordered_at AS TEXT) FROM orders "
            "ORDER BY order_id"
        )
    assert rows[0][1] == pytest.approx(1234.5)
    assert rows[0][2] == pytest.approx(200.25)
    assert rows[1][1] == pytest.approx(9.99)
    assert rows[1][2] is None
    # 18:30 in Rome on 31 December is 17:30 UTC.
    assert "2024-12-31 18:30:00+01" in rows[0][3]


def test_utf8_bom_and_case_insensitive_headers(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "bom.csv"
    source.write_bytes(b"\xef\xbb\xbfCustomer ID,Name\r\nC1,Nicol\xc3\xb2\r\n")
    summary = import_file(store, settings, "customers", source)
    assert summary.loaded == 1
    with store.connect() as conn:
        assert conn.scalar("SELECT name FROM customers") == "Nicolò"


def test_jsonl_parquet_and_xlsx(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    import openpyxl

    import_file(store, settings, "touchpoints", write(tmp_path / "t.csv", TOUCHPOINTS))
    lines = [
        {"customer_id": "C1", "name": "Anna", "properties_ignored": 1, "tags": ["a"]},
        {"customer_id": "C2", "consent_marketing": True, "birth_year": 1990},
    ]
    jsonl = write(tmp_path / "c.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    assert import_file(store, settings, "customers", jsonl).loaded == 2
    with store.connect() as conn:
        attrs = conn.scalar("SELECT attributes FROM customers WHERE customer_id = 'C1'")
    assert as_json(attrs) == {"properties_ignored": 1, "tags": ["a"]}

    parquet = tmp_path / "i.parquet"
    duckdb.sql(
        "SELECT 'I' || i AS interaction_id, 'C1' AS customer_id, "
        "'TP-STORE' AS touchpoint_id, TIMESTAMPTZ '2024-05-01 10:00:00+00' "
        "+ to_minutes(i) AS occurred_at, (i * 10)::DOUBLE AS wait_s "
        "FROM range(100) t(i)"
    ).write_parquet(str(parquet))
    summary = import_file(store, settings, "interactions", parquet)
    assert (summary.loaded, summary.rejected) == (100, 0)

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["feedback_id", "received_at", "source", "customer_id", "nps", "text"])
    sheet.append([1001, "2024-06-01T09:00:00", "survey", "C1", 9, "Ottimo servizio"])
    sheet.append([1002, "2024-06-02T09:00:00", "survey", "C2", 11, "Troppo alto"])
    xlsx = tmp_path / "f.xlsx"
    book.save(xlsx)
    summary = import_file(store, settings, "feedback", xlsx)
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert summary.rejects[0].column == "nps"
    assert summary.rejects[0].row == 3
    with store.connect() as conn:
        assert conn.scalar("SELECT feedback_id FROM feedback") == "1001"


def test_schema_errors_are_one_clear_message(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    source = write(tmp_path / "i.csv", "id,customer\n1,C1\n")
    with pytest.raises(
        SchemaError, match=r"missing required column\(s\) interaction_id"
    ):
        import_file(store, settings, "interactions", source)
    with pytest.raises(InvalidInput, match="unknown kind 'people'"):
        import_file(store, settings, "people", source)
    with pytest.raises(InvalidInput, match="file not found"):
        import_file(store, settings, "customers", tmp_path / "missing.csv")
    with pytest.raises(InvalidInput, match="is empty"):
        import_file(store, settings, "customers", write(tmp_path / "e.csv", ""))
    with pytest.raises(InvalidInput, match="'nope' is not a column of customers"):
        import_file(
            store, settings, "customers", source, ImportOptions(mapping={"id": "nope"})
        )
    assert count(store, "imports") == 0


@pytest.mark.parametrize("policy", ["reject", "create", "keep"])
def test_unknown_reference_policies(
    store: Store, settings: Settings, tmp_path: Path, policy: str
) -> None:
    import_file(
        store, settings, "customers", write(tmp_path / "c.csv", "customer_id\nC1\n")
    )
    import_file(store, settings, "touchpoints", write(tmp_path / "t.csv", TOUCHPOINTS))
    source = write(
        tmp_path / "i.csv",
        "interaction_id,customer_id,touchpoint_id,occurred_at\n"
        "I1,C1,TP-STORE,2024-05-01T10:00:00Z\n"
        "I2,C-NEW,TP-STORE,2024-05-01T11:00:00Z\n"
        "I3,C1,TP-NEW,2024-05-01T12:00:00Z\n",
    )
    options = ImportOptions(unknown_references=policy)  # type: ignore[arg-type]
    summary = import_file(store, settings, "interactions", source, options)
    if policy == "reject":
        assert (summary.loaded, summary.rejected) == (1, 2)
        assert {(r.row, r.column) for r in summary.rejects} == {
            (3, "customer_id"),
            (4, "touchpoint_id"),
        }
        assert count(store, "customers") == 1
    elif policy == "create":
        assert (summary.loaded, summary.created_references) == (3, 2)
        with store.connect() as conn:
            assert conn.fetchall(
                "SELECT name, channel FROM touchpoints WHERE touchpoint_id = 'TP-NEW'"
            ) == [("TP-NEW", "other")]
        assert count(store, "customers") == 2
    else:
        assert (summary.loaded, summary.rejected, summary.created_references) == (
            3,
            0,
            0,
        )
        assert count(store, "customers") == 1


def test_update_replaces_and_in_file_duplicates_are_reported(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.csv", "customer_id,city\nC1,Roma\nC2,Bari\n")
    import_file(store, settings, "customers", first)
    second = write(
        tmp_path / "b.csv", "customer_id,city\nC1,Milano\nC3,Pisa\nC3,Lucca\n"
    )
    summary = import_file(
        store, settings, "customers", second, ImportOptions(update=True)
    )
    assert (summary.loaded, summary.updated, summary.rejected) == (1, 1, 1)
    assert "duplicate customer_id in this source (first at row 3)" in (
        summary.rejects[0].reason
    )
    with store.connect() as conn:
        cities = dict(conn.fetchall("SELECT customer_id, city FROM customers"))
    assert cities == {"C1": "Milano", "C2": "Bari", "C3": "Pisa"}


def test_malformed_csv_lines_keep_row_numbers_right(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    source = write(
        tmp_path / "c.csv",
        "customer_id,birth_year\nC1,1980\nC2,1981,extra,fields\nC3,1982\nC4,19x\n",
    )
    summary = import_file(store, settings, "customers", source)
    assert (summary.read, summary.loaded, summary.rejected) == (4, 2, 2)
    assert [(r.row, r.reason.split(":")[0]) for r in summary.rejects] == [
        (3, "malformed line"),
        (5, "not a whole number"),
    ]


def test_all_or_nothing_stores_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    from esperia.errors import BatchRejected

    source = write(tmp_path / "c.csv", "customer_id,birth_year\nC1,1980\nC2,abc\n")
    with pytest.raises(BatchRejected) as caught:
        import_file(
            store, settings, "customers", source, ImportOptions(all_or_nothing=True)
        )
    assert caught.value.details[0]["field"] == "birth_year"
    assert count(store, "customers") == 0
