"""Load an OMOP CDM export (CSV or parquet files, one per table) into a DuckDB file.

Table and column names are lower-cased (OHDSI exports often use upper case); CSV columns are
typed by the CDM's naming conventions (``*_id`` BIGINT, ``*_date`` DATE, ``*_datetime``
TIMESTAMP, values DOUBLE, codes and text VARCHAR) so that ``concept_code`` stays text even when
a SNOMED code looks numeric. A file that cannot be read names itself.
"""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from cartrial.sql.cdm import CdmError

_DOUBLE = {
    "value_as_number",
    "range_low",
    "range_high",
    "quantity",
    "amount_value",
    "numerator_value",
    "denominator_value",
    "dose_value",
}
_INT = {
    "year_of_birth",
    "month_of_birth",
    "day_of_birth",
    "days_supply",
    "refills",
    "min_levels_of_separation",
    "max_levels_of_separation",
}
_TEXT_IDS = {
    "vocabulary_id",
    "domain_id",
    "concept_class_id",
    "relationship_id",
    "cdm_source_abbreviation",
}


def column_type(name: str) -> str:
    n = name.lower()
    if n in _DOUBLE:
        return "double"
    if n in _INT:
        return "integer"
    if n.endswith("_datetime"):
        return "timestamp"
    if n.endswith("_date"):
        return "date"
    if n.endswith("_id") and n not in _TEXT_IDS:
        return "bigint"
    return "varchar"


def _typed(name: str) -> exp.Expression:
    raw = exp.column(exp.to_identifier(name, quoted=True))
    kind = column_type(name)
    if kind == "varchar":
        plain: exp.Expression = exp.alias_(raw, name.lower(), quoted=False)
        return plain
    value: exp.Expression = exp.Nullif(this=exp.Trim(this=raw), expression=exp.Literal.string(""))
    if kind == "timestamp":  # '2019-05-25T00:00:00Z' -> drop the zone letter
        value = exp.Anonymous(
            this="replace", expressions=[value, exp.Literal.string("Z"), exp.Literal.string("")]
        )
    typed: exp.Expression = exp.alias_(
        exp.TryCast(this=value, to=exp.DataType.build(kind)), name.lower(), quoted=False
    )
    return typed


def load_directory(directory: Path, target: Path) -> dict[str, int]:
    """Every ``*.csv`` / ``*.parquet`` in ``directory`` -> a table in the DuckDB file ``target``.

    Returns table -> row count. Existing tables of the same name are replaced.
    """
    import duckdb

    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in (".csv", ".parquet"))
    if not files:
        raise CdmError(f"no .csv or .parquet files in {directory}", where=str(directory))
    con = duckdb.connect(str(target))
    counts: dict[str, int] = {}
    try:
        for path in files:
            name = path.stem.lower()
            try:
                if path.suffix.lower() == ".parquet":
                    source = exp.Anonymous(
                        this="read_parquet", expressions=[exp.Literal.string(str(path))]
                    )
                    select = exp.select(exp.Star()).from_(source)
                else:
                    source = exp.Anonymous(
                        this="read_csv",
                        expressions=[
                            exp.Literal.string(str(path)),
                            exp.EQ(this=exp.var("all_varchar"), expression=exp.true()),
                            exp.EQ(this=exp.var("header"), expression=exp.true()),
                        ],
                    )
                    header = (
                        con.execute(
                            exp.select(exp.Star()).from_(source).limit(0).sql("duckdb")
                        ).description
                        or []
                    )
                    select = exp.select(*[_typed(d[0]) for d in header]).from_(source.copy())
                create = exp.Create(
                    this=exp.to_table(name), kind="TABLE", expression=select, replace=True
                )
                con.execute(create.sql("duckdb"))
                row = con.execute(
                    exp.select(exp.Count(this=exp.Star())).from_(name).sql("duckdb")
                ).fetchone()
                counts[name] = int(row[0]) if row else 0
            except duckdb.Error as exc:
                raise CdmError(f"cannot load {path.name}: {exc}", where=str(path)) from exc
    finally:
        con.close()
    return counts
