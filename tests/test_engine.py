"""The engine: results come back whole and typed, whatever the DuckDB version."""

from __future__ import annotations

import warnings

import pytest

from cxray.engine import Engine, arrow_from_lists, arrow_from_numpy, arrow_strings
from cxray.errors import EngineError


def test_arrow_returns_a_table_with_parameters_and_no_warning():
    """DuckDB 2.0 removed fetch_arrow_table and warns on cursor-to-Arrow copies: neither may surface."""
    with Engine() as e, warnings.catch_warnings():
        warnings.simplefilter("error")
        t = e.arrow("SELECT range AS i, ? AS tag FROM range(3)", ["x"])
        assert t.to_pydict() == {"i": [0, 1, 2], "tag": ["x", "x", "x"]}
        assert e.arrow("SELECT 1 AS a WHERE false").num_rows == 0


def test_arrow_gives_enums_back_as_text_at_any_depth():
    """The reader stores low-cardinality text as ENUMs (Arrow dictionaries): nothing that leaves the
    engine may carry one (a dictionary column is not ``pa.types.is_string``: redaction skipped it)."""
    import pyarrow as pa

    with Engine() as e:
        values = "(VALUES ('b'), ('a'), (NULL)) x(v)"
        e.execute(f"CREATE TABLE t AS SELECT CAST(v AS ENUM('a', 'b')) AS k FROM {values}")
        t = e.arrow("SELECT k, [k] AS l, {'k': k} AS s, map([k], [k]) AS m, 1 AS n FROM t WHERE k NOTNULL")
        assert t.schema.field("k").type == pa.string()
        assert t.schema.field("l").type.value_type == pa.string()
        assert t.schema.field("s").type.field("k").type == pa.string()
        assert t.schema.field("m").type.item_type == pa.string()
        assert t.to_pylist() == [
            {"k": "b", "l": ["b"], "s": {"k": "b"}, "m": [("b", "b")], "n": 1},
            {"k": "a", "l": ["a"], "s": {"k": "a"}, "m": [("a", "a")], "n": 1},
        ]
        assert e.arrow("SELECT k FROM t").column(0).to_pylist() == ["b", "a", None]


def test_scalar_reads_the_whole_result_so_the_next_query_runs():
    with Engine() as e:
        e.execute("CREATE TABLE t AS SELECT range AS i FROM range(5000)")
        assert e.scalar("SELECT i FROM t ORDER BY i") == 0
        assert e.rows("SELECT count(*) AS n FROM t") == [{"n": 5000}]


def test_numpy_returns_columns_masked_where_null_without_importing_pandas():
    """The Amazon Connect fast path numbers legs in NumPy: pyarrow's ``to_numpy`` imported pandas for it
    (a third of a second of a million-record read)."""
    import subprocess
    import sys

    with Engine() as e:
        cols = e.numpy(
            "SELECT range AS i, CASE WHEN range = 1 THEN NULL ELSE range * 2 END AS j FROM range(3)"
        )
        assert cols["i"].tolist() == [0, 1, 2]
        assert cols["j"].tolist() == [0, None, 4]  # masked where NULL
        with pytest.raises(EngineError, match="no_such_table"):
            e.numpy("SELECT * FROM no_such_table")
    code = (
        "import sys; from cxray.engine import Engine\n"
        "with Engine() as e: assert e.numpy('SELECT range AS i FROM range(5)')['i'].sum() == 10\n"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sql_errors_become_engine_errors_quoting_the_statement():
    with Engine() as e, pytest.raises(EngineError, match="no_such_table"):
        e.rows("SELECT * FROM no_such_table")


@pytest.mark.parametrize("kwargs", [{"memory_limit": "lots"}, {"threads": -1}])
def test_bad_engine_settings_are_config_errors_not_duckdb_tracebacks(kwargs):
    from cxray.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot start DuckDB"):
        Engine(**kwargs)


def test_fetchall_and_unregister_cover_what_callers_reached_around_the_engine_for():
    """``fetchall`` returns tuples read whole, ``unregister`` forgets a registered table (twice is fine)."""
    import pyarrow as pa

    with Engine() as e:
        e.register("_t", pa.table({"a": [1, 2]}))
        assert e.fetchall("SELECT a, ? FROM _t ORDER BY a", ["x"]) == [(1, "x"), (2, "x")]
        assert e.columns("_t") == ["a"]
        e.unregister("_t")
        e.unregister("_t")
        with pytest.raises(EngineError, match="_t"):
            e.fetchall("SELECT * FROM _t")


def test_arrow_from_lists_builds_typed_columns_in_order():
    """Python lists become Arrow columns of the DuckDB types named, in list order, None as NULL."""
    import pyarrow as pa

    texts = [f"t{i}" if i % 7 else None for i in range(5000)]
    t = arrow_from_lists(
        {
            "text": ("VARCHAR", texts),
            "score": ("DOUBLE", [i / 4 for i in range(5000)]),
            "rank": ("INTEGER", list(range(5000))),
            "n": ("BIGINT", range(5000)),  # any sequence
        }
    )
    assert t.schema == pa.schema(
        [("text", pa.string()), ("score", pa.float64()), ("rank", pa.int32()), ("n", pa.int64())]
    )
    assert t.column("text").to_pylist() == texts
    assert t.column("score").to_pylist()[:3] == [0.0, 0.25, 0.5]
    assert t.column("n").to_pylist() == list(range(5000))
    empty = arrow_from_lists({"a": ("VARCHAR", []), "b": ("DOUBLE", [])})
    assert empty.num_rows == 0 and empty.schema.types == [pa.string(), pa.float64()]
    with pytest.raises(ValueError, match="differ in length"):
        arrow_from_lists({"a": ("VARCHAR", ["x"]), "b": ("VARCHAR", [])})
    assert arrow_strings(["a", None, "c"]).to_pylist() == ["a", None, "c"]
    assert arrow_strings([]).type == pa.string() and len(arrow_strings([])) == 0


def test_arrow_from_lists_does_not_import_pandas():
    """``pa.array(list)`` imports pandas (where installed) to ask whether the list is a pandas object: 0.2 s
    and 40 MB of every diagnosis that stages a list, for nothing cxray uses."""
    import subprocess
    import sys

    pytest.importorskip("pandas")  # without pandas installed there is nothing to import
    code = (
        "import sys\nfrom cxray.engine import arrow_from_lists, arrow_strings\n"
        "t = arrow_from_lists({'a': ('VARCHAR', ['x', None]), 'b': ('DOUBLE', [1.0, 2.0])})\n"
        "s = arrow_strings([])\n"
        "print(t.num_rows, len(s), 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "0", "False"]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX fork")
def test_arrow_from_lists_works_in_a_forked_child():
    """A forked child (a Spark worker, multiprocessing) builds its lists on a connection of its own; the
    parent's is left alone (closing it in the child crashed the child)."""
    import os

    assert arrow_strings(["before"]).to_pylist() == ["before"]  # the parent's connection exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        ok = arrow_strings(["child", None]).to_pylist() == ["child", None]
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert arrow_strings(["after"]).to_pylist() == ["after"]


def test_arrow_from_numpy_keeps_values_and_nulls_where_masked():
    """The buffer becomes the array (a timestamp from its int64 microseconds); a mask marks NULLs, also
    past the first byte of the validity bitmap; a width that does not match the type is refused."""
    import numpy as np
    import pyarrow as pa

    values = np.arange(20, dtype=np.float64) / 2
    mask = np.zeros(20, dtype=bool)
    mask[[0, 9, 19]] = True
    got = arrow_from_numpy(values, pa.float64(), mask=mask)
    assert got.null_count == 3
    assert got.to_pylist() == [None if m else v for v, m in zip(values.tolist(), mask, strict=True)]
    stamps = arrow_from_numpy(np.array([0, 1_000_000], dtype=np.int64), pa.timestamp("us"))
    assert stamps.to_pylist()[1].isoformat() == "1970-01-01T00:00:01"
    assert arrow_from_numpy(np.arange(3, dtype=np.int32), pa.int32()).to_pylist() == [0, 1, 2]
    with pytest.raises(ValueError, match="cannot hold"):
        arrow_from_numpy(np.arange(3, dtype=np.int32), pa.int64())
    with pytest.raises(ValueError, match="differ in length"):
        arrow_from_numpy(np.arange(3, dtype=np.int64), pa.int64(), mask=np.zeros(2, dtype=bool))
