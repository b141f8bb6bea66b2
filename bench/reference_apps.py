"""Reference apps measured in the same run as the planner, so its numbers have a yardstick here:
an OptionList of N rows (the widget the funnel's buckets use) for key-to-frame latency."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option


class OptionListApp(App[None]):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(*(Option(Text(f"Deal {i:06d} — Account {i % 997}"), id=str(i)) for i in range(self.rows)))
        yield Footer()


def naive_sqlmodel_datatable(db: str, stay: bool = False) -> None:
    """The way many first versions are written: the ORM loads every deal as an object and a
    DataTable gets one row per deal. Exits after its first frame, like the planner under
    PLANNER_EXIT_AFTER_FIRST_FRAME=1, or with `stay` runs until ctrl+q (timed until its screen is
    read, bench/screen.py). A yardstick for start-up and memory, not a product."""
    from sqlmodel import Field, Session, SQLModel, create_engine, select
    from textual.widgets import DataTable

    class Deal(SQLModel, table=True):
        __tablename__ = "opportunity"
        id: int | None = Field(default=None, primary_key=True)
        title: str
        account: str
        bucket: str
        value_cents: int
        next_action_due: str | None = None

    class NaiveApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable(cursor_type="row")
            yield Footer()

        def on_mount(self) -> None:
            with Session(create_engine(f"sqlite:///{db}")) as session:
                deals = session.exec(select(Deal)).all()
            table = self.query_one(DataTable)
            table.add_columns("title", "account", "bucket", "value", "due")
            table.add_rows(
                (Text(d.title), Text(d.account), d.bucket, f"{d.value_cents / 100:,.0f}", d.next_action_due or "")
                for d in deals
            )

        def on_ready(self) -> None:
            if not stay:
                self.call_after_refresh(self.exit)

    NaiveApp().run()


if __name__ == "__main__":
    import sys

    naive_sqlmodel_datatable(sys.argv[1], stay="--stay" in sys.argv[2:])
