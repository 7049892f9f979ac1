"""``iprisk targeting fit | calibrate | score | evaluate``: train a risk score, calibrate it, score
declarations, measure the selection.

Parses options, calls :mod:`iprisk.targeting` and :mod:`iprisk.evaluation`, prints. ``--declarations`` of
``fit`` takes one or more files (``--declarations a.csv b.csv`` or the flag repeated).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from iprisk.cli import EncodingOpt, ErrorsOutOpt, app, err, out
from iprisk.cli._report import Report
from iprisk.errors import Problem

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported inside the commands: importing them here would cost every `iprisk`
# invocation, even `--help`.

targeting_app = typer.Typer(
    name="targeting",
    help="Learned risk score: fit on inspected declarations, score new ones, evaluate the selection.",
    no_args_is_help=True,
)
app.add_typer(targeting_app, name="targeting")

MappingOpt = Annotated[
    str | None,
    typer.Option("--mapping", help="Column mapping: a YAML file or a shipped name (e.g. kcs)."),
]
LabelOpt = Annotated[
    str, typer.Option("--label", help="Column holding the inspection result (0/1, true/false).")
]


@contextmanager
def _step(message: str) -> Iterator[None]:
    with err.status(escape(message)):
        yield


def _read_table(path: Path, mapping: str | None, encoding: str | None, report: Report) -> Any:
    """Declarations read and validated; their warnings printed and kept for ``--errors-out``."""
    from iprisk.formats import read_declarations

    warnings: list[Problem] = []
    with _step(f"reading {path}"):
        table = read_declarations(path, mapping=mapping, encoding=encoding, warnings=warnings)
    report.warnings(warnings, len(warnings), str(path))
    return table


def _read(path: Path, mapping: str | None, encoding: str | None, report: Report) -> pd.DataFrame:
    frame: pd.DataFrame = _read_table(path, mapping, encoding, report).to_pandas()
    return frame


def _output(path: Path, inputs: list[Path], *, directory: bool = False) -> Path:
    """``path`` when it is no input, no warehouse, no database (see :func:`iprisk.security.check_output`)."""
    from iprisk.security import check_output, protected_paths

    return check_output(path, inputs=inputs, protected=protected_paths(), directory=directory)


@targeting_app.command("fit", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})
def fit_cmd(
    ctx: typer.Context,
    declarations: Annotated[
        list[Path], typer.Option("--declarations", help="Labelled declaration file(s), oldest first.")
    ],
    model: Annotated[Path, typer.Option("--model", help="Directory to write the model to.")],
    mapping: MappingOpt = None,
    label: LabelOpt = "infringement",
    valid: Annotated[
        Path | None,
        typer.Option(
            "--valid",
            help="A later labelled period: early stopping on it, then refit on all files with those trees.",
        ),
    ] = None,
    trees: Annotated[int, typer.Option("--trees", help="Number of trees when --valid is not given.")] = 400,
    calibrate: Annotated[
        Path | None,
        typer.Option(
            "--calibrate",
            help="A later labelled period, used for nothing else: Platt calibration of the scores, saved "
            "with the model and applied by `targeting score`.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    profiles: Annotated[
        Path | None,
        typer.Option(
            "--profiles",
            help="Risk profiles (YAML/JSON): their hits become features (profile_hits, profile_max_risk), "
            "saved with the model.",
        ),
    ] = None,
    encoding: EncodingOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Fit a LightGBM risk score on labelled declarations; save it (model.txt, meta.json, features.json)."""
    # Imported here: LightGBM and scikit-learn take seconds to load, and every other command would pay.
    import pandas as pd

    from iprisk.targeting.scorer import LightGBMScorer, fit_tuned

    files = [*declarations, *(Path(a) for a in ctx.args)]
    bad = [a for a in ctx.args if a.startswith("-")]
    if bad:
        raise typer.BadParameter(f"unknown option(s): {' '.join(bad)}")
    inputs = [*files, *(p for p in (valid, calibrate, profiles) if p is not None)]
    with Report(errors_out, inputs=inputs) as report:
        _output(model, inputs, directory=True)
        extra: dict[str, Any] = {}
        if profiles is not None:
            from iprisk.profiles import load_profiles

            extra["profiles"] = load_profiles(profiles)
        frames = [_read(f, mapping, encoding, report) for f in files]
        train = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if valid is not None:
            vframe = _read(valid, mapping, encoding, report)
            with _step(f"fitting on {len(train):,} rows, early stopping on {len(vframe):,}"):
                scorer, rounds = fit_tuned(train, vframe, label, seed=seed, **extra)
            note = f"{rounds} trees chosen on {valid.name}, refitted on all {len(train) + len(vframe):,} rows"
        else:
            with _step(f"fitting on {len(train):,} rows"):
                scorer = LightGBMScorer(n_estimators=trees, seed=seed, **extra).fit(train, label)
            note = f"{trees} trees"
        if calibrate is not None:
            note += "; " + _calibrate(scorer, _read(calibrate, mapping, encoding, report), label, calibrate)
        with _step(f"saving {model}"):
            scorer.save(model)
    start, end = scorer.training_period_
    out.print(
        f"model {model}: {scorer.training_rows_:,} labelled rows {start}..{end}, "
        f"hit rate {scorer.training_rate_:.1%}, {len(scorer.feature_names_)} features, {note}; "
        f"training data sha256 {scorer.fingerprint_[:12]}"
    )


def _calibrate(scorer: Any, frame: pd.DataFrame, label: str, source: Path) -> str:
    with _step(f"calibrating on {len(frame):,} rows of {source.name}"):
        calibrator = scorer.calibrate(frame, label, "platt").calibrator_
    return (
        f"Platt calibration on {source.name} ({calibrator.hits:,} hits in {calibrator.rows:,} rows: "
        f"slope {calibrator.slope:.3f}, intercept {calibrator.intercept:+.3f})"
    )


@targeting_app.command("calibrate")
def calibrate_cmd(
    model: Annotated[Path, typer.Option("--model", help="Model directory written by `targeting fit`.")],
    declarations: Annotated[
        Path,
        typer.Option("--declarations", help="A labelled period later than the model's training data."),
    ],
    mapping: MappingOpt = None,
    label: LabelOpt = "infringement",
    encoding: EncodingOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Calibrate a saved model's scores as probabilities on a later labelled period (Platt scaling).

    The calibrator replaces any earlier one in the model folder (its digest is rewritten); `targeting
    score` applies it. The order of the scores does not change.
    """
    from iprisk.targeting.scorer import LightGBMScorer

    with Report(errors_out, inputs=[model, declarations]) as report:
        scorer = LightGBMScorer.load(model)
        note = _calibrate(scorer, _read(declarations, mapping, encoding, report), label, declarations)
        with _step(f"saving {model}"):
            scorer.save(model)
    out.print(f"model {model}: {note}")


@targeting_app.command("score")
def score_cmd(
    model: Annotated[Path, typer.Option("--model", help="Model directory written by `targeting fit`.")],
    declarations: Annotated[Path, typer.Option("--declarations", help="Declarations to score.")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV to write the scores to.")],
    mapping: MappingOpt = None,
    value_aware: Annotated[
        bool, typer.Option("--value-aware", help="Rank by expected detained value (probability x value).")
    ] = False,
    top: Annotated[int, typer.Option("--top", help="Reasons listed per row (0: none).")] = 3,
    reasons_for: Annotated[
        float,
        typer.Option(
            "--reasons-for",
            help="Explain only the top PCT % of rows (explaining costs about 1 ms per row).",
            min=0.0,
            max=100.0,
        ),
    ] = 100.0,
    profiles: Annotated[
        Path | None,
        typer.Option("--profiles", help="Risk profiles (YAML/JSON): list the active ones each row matches."),
    ] = None,
    referrals_db: Annotated[
        str | None,
        typer.Option(
            "--referrals-db",
            help="Operational database whose open referrals (warnings received) flag the lines they match.",
        ),
    ] = None,
    encoding: EncodingOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Score declarations: probability, rank (1 = most suspicious) and the top reasons of each score."""
    from iprisk.formats import write_scores
    from iprisk.targeting import score_declarations

    inputs = [model, declarations, *([profiles] if profiles else [])]
    with Report(errors_out, inputs=inputs) as report:
        _output(out_file, inputs)
        table = _read_table(declarations, mapping, encoding, report)
        chosen = None
        if profiles is not None:
            from iprisk.profiles import load_profiles

            chosen = load_profiles(profiles)
        with err.status("scoring") as status:
            scores = score_declarations(
                model,
                table,
                profiles=chosen,
                **_watches(referrals_db),
                value_aware=True if value_aware else None,  # without the flag: as the model was fitted
                top=top,
                reasons_for=reasons_for,
                progress=lambda stage, rows: status.update(escape(f"{stage} {rows:,} rows")),
            )
        write_scores(scores, out_file)
    out.print(f"{out_file}: {scores.num_rows:,} rows scored with {model}")


def _watches(db: str | None) -> dict[str, Any]:
    """The open referrals of ``db`` as watches, with the party key when the key folder holds it."""
    if db is None:
        return {}
    from iprisk.referrals import load_party_key
    from iprisk.referrals.parties import PARTY_KEY_FILE
    from iprisk.settings import get_settings
    from iprisk.store import ReferralStore

    folder = get_settings().key_folder
    key = load_party_key(folder) if (folder / PARTY_KEY_FILE).is_file() else None
    with ReferralStore(db) as store:  # at a node, the warnings received at its ports
        warnings = store.watches(get_settings().node)
    return {"watches": warnings, "party_key": key}


def _parse_at(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--at takes percentages separated by commas, e.g. 1,2,5,10: {text!r}"
        ) from None
    if not values or any(not 0 < v <= 100 for v in values):
        raise typer.BadParameter(f"--at percentages must be in (0, 100]: {text!r}")
    return values


@targeting_app.command("evaluate")
def evaluate_cmd(
    scores: Annotated[Path, typer.Option("--scores", help="CSV written by `targeting score`.")],
    declarations: Annotated[Path, typer.Option("--declarations", help="The same declarations, with labels.")],
    mapping: MappingOpt = None,
    label: LabelOpt = "infringement",
    at: Annotated[
        str, typer.Option("--at", help="Percentages of rows inspected, e.g. 1,2,5,10.")
    ] = "1,2,5,10",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Metrics CSV [default: metrics.csv next to the scores].")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Also break the largest k down by this column (e.g. office).")
    ] = None,
    encoding: EncodingOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Precision, recall, value-recall, lift and AUC of the ranking, each against random and the oracle."""
    from iprisk.evaluation import evaluate_scores
    from iprisk.formats import read_scores
    from iprisk.security import atomic_write, neutralise_frame

    ks = _parse_at(at)
    inputs = [scores, declarations]
    with Report(errors_out, inputs=inputs) as report:
        target = _output(out_file or scores.parent / "metrics.csv", inputs)
        group_file = None if by is None else _output(target.with_name(f"{target.stem}-by-{by}.csv"), inputs)
        result = evaluate_scores(
            read_scores(scores),
            _read(declarations, mapping, encoding, report),
            label=label,
            at=ks,
            by=by,
            scores_name=str(scores),
            declarations_name=str(declarations),
        )
    if result.unlabelled:
        err.print(f"{result.unlabelled:,} unlabelled (not inspected) rows left out of the evaluation")
    with atomic_write(target) as tmp:
        result.metrics.to_csv(tmp, index=False, float_format="%.6g")

    shown = Table(
        title=f"{scores.name}: {result.rows:,} rows, {result.hits:,} hits ({result.hit_rate:.1%}), "
        f"AUC {result.auc:.4f}"
    )
    for col in ("k %", "n", "hits", "prec.", "/orac.", "recall", "/orac.", "value", "lift"):
        shown.add_column(col, justify="right")
    for r in result.metrics.to_dict("records"):
        shown.add_row(
            f"{r['k_pct']:g}",
            f"{int(r['selected']):,}",
            f"{int(r['hits_selected']):,}",
            f"{r['precision']:.3f}",
            f"{r['precision_norm']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['recall_norm']:.3f}",
            f"{r['value_recall']:.3f}",
            f"{r['lift']:.2f}",
        )
    out.print(shown)
    if result.by_group is not None and group_file is not None and by is not None:
        with atomic_write(group_file) as tmp:
            neutralise_frame(result.by_group).to_csv(tmp, index=False, float_format="%.6g")
        out.print(f"per-{escape(by)} breakdown at {max(ks):g} %: {group_file}")
    out.print(f"metrics: {target}")
