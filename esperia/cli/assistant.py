"""`esperia assistant`: ask, train, evaluate intents, import the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from esperia.cli.app import app, print_json, state

assistant_app = typer.Typer(
    help="The care assistant: ask it, train it, check it.", no_args_is_help=True
)
intents_app = typer.Typer(help="The intent classifier.", no_args_is_help=True)
kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)
assistant_app.add_typer(intents_app, name="intents")
assistant_app.add_typer(kb_app, name="kb")
app.add_typer(assistant_app, name="assistant")

_JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@assistant_app.command("ask")
def ask(
    message: Annotated[str, typer.Argument(help="What the customer writes.")],
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", "-c", help="Continue this conversation id."),
    ] = None,
    as_json: _JSON = False,
) -> None:
    """Send one message to the assistant, as a customer would, and print the reply."""
    from esperia.assistant import assistant_for
    from esperia.workspace import open_workspace

    settings = state().settings()
    store = open_workspace(settings)
    try:
        reply = assistant_for(settings, store).ask(
            message, conversation_id=conversation, channel="cli"
        )
    finally:
        store.close()
    if as_json:
        print_json(reply.to_dict())
        return
    typer.echo(reply.text)
    typer.echo(
        f"[conversation {reply.conversation_id} · intent {reply.intent or '-'} "
        f"· confidence {reply.confidence:.2f}]"
    )


@assistant_app.command("train")
def train(as_json: _JSON = False) -> None:
    """Retrain the intent model (shipped, company and corrected examples)."""
    from esperia.assistant import assistant_for
    from esperia.workspace import open_workspace

    settings = state().settings()
    store = open_workspace(settings)
    try:
        model = assistant_for(settings, store).train()
    finally:
        store.close()
    result = {
        "intents": len(model.labels),
        "chosen_c": model.chosen_c,
        "cv_accuracy": model.cv_accuracy,
    }
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"trained {result['intents']} intents (C={model.chosen_c}, "
            f"cross-validated accuracy {model.cv_accuracy or 0:.3f})"
        )


@intents_app.command("eval")
def intents_eval(
    train_file: Annotated[Path, typer.Option("--train", help="Training CSV.")],
    test_file: Annotated[Path, typer.Option("--test", help="Test CSV.")],
    text_column: Annotated[str, typer.Option(help="Column with the text.")] = "text",
    label_column: Annotated[
        str, typer.Option(help="Column with the intent.")
    ] = "label",
    out_of_scope_label: Annotated[
        str | None,
        typer.Option(help="Label marking out-of-scope examples (in both files)."),
    ] = None,
    as_json: _JSON = False,
) -> None:
    """Train on one file, test on another: accuracy, macro-F1, out-of-scope P/R."""
    from esperia.assistant.evaluate import evaluate_intents, read_examples

    train = read_examples(train_file, text_column, label_column)
    test = read_examples(test_file, text_column, label_column)
    report = evaluate_intents(train, test, out_of_scope_label=out_of_scope_label)
    if as_json:
        print_json(report.to_dict())
        return
    for key, value in report.to_dict().items():
        typer.echo(f"{key:26} {value}")


@intents_app.command("import")
def intents_import(
    file: Annotated[Path, typer.Argument(help="CSV with columns text,label.")],
) -> None:
    """Use the company's own example utterances (added to the shipped ones)."""
    from esperia.assistant import assistant_for
    from esperia.assistant.evaluate import read_examples
    from esperia.workspace import open_workspace

    texts, labels = read_examples(file)
    settings = state().settings()
    store = open_workspace(settings)
    try:
        assistant = assistant_for(settings, store)
        assistant.examples_path.parent.mkdir(parents=True, exist_ok=True)
        assistant.examples_path.write_text(
            file.read_text(encoding="utf-8-sig"), encoding="utf-8"
        )
        model = assistant.train()
    finally:
        store.close()
    typer.echo(
        f"imported {len(texts)} examples of {len(set(labels))} intents; "
        f"the model now knows {len(model.labels)} intents"
    )


@kb_app.command("import")
def kb_import(
    path: Annotated[
        Path, typer.Argument(help="A .md, .html or .csv file, or a folder of them.")
    ],
) -> None:
    """Replace the knowledge base (a running server switches over without a restart)."""
    from esperia.assistant import assistant_for
    from esperia.workspace import open_workspace

    settings = state().settings()
    store = open_workspace(settings)
    try:
        count = assistant_for(settings, store).import_knowledge(path)
    finally:
        store.close()
    typer.echo(f"imported {count} entries from {path}")


@kb_app.command("search")
def kb_search(
    question: Annotated[str, typer.Argument(help="A customer question.")],
    limit: Annotated[int, typer.Option(help="How many entries.")] = 3,
    as_json: _JSON = False,
) -> None:
    """Show the entries the assistant would cite for a question."""
    from esperia.assistant import assistant_for
    from esperia.assistant.language import detect_language
    from esperia.workspace import open_workspace

    settings = state().settings()
    store = open_workspace(settings)
    try:
        base = assistant_for(settings, store).knowledge.current()
    finally:
        store.close()
    hits = base.search(question, detect_language(question), limit=limit)
    rows = [
        {
            "entry_id": h.entry.entry_id,
            "title": h.entry.title,
            "score": round(h.score, 3),
        }
        for h in hits
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['score']:>8}  {row['entry_id']}  {row['title']}")
