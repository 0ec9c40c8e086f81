"""Both database backends accept a connection through make_engine."""

from sqlalchemy import text

from shopstream.storage import make_engine


def test_engine_connects(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("select 1 + 1")).scalar() == 2
    engine.dispose()
