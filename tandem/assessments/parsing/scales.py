"""The scoring section and the bands."""

from __future__ import annotations

from types import MappingProxyType
from typing import cast

from tandem.assessments.parsing.items import parse_condition
from tandem.assessments.parsing.readers import (
    SLUG_RE,
    Ctx,
    as_int,
    as_item_number,
    as_list,
    as_mapping,
    as_number,
    as_str,
    as_text,
)
from tandem.assessments.schema import (
    Band,
    Item,
    Number,
    Prorate,
    Scoring,
    SkipRule,
    Subscale,
)


def parse_prorate(node: object, ctx: Ctx, n_scored: int) -> Prorate:
    data = as_mapping(node, ctx, {"max_missing"}, {"method", "rounding"})
    max_missing = as_int(data["max_missing"], ctx.key("max_missing"), minimum=1)
    if max_missing >= n_scored:
        ctx.key("max_missing").fail(f"must be less than the number of scored items ({n_scored})")
    method = as_str(
        data.get("method", "mean_substitution"), ctx.key("method"), choices=("mean_substitution",)
    )
    rounding = as_str(
        data.get("rounding", "none"), ctx.key("rounding"), choices=("half_up", "none")
    )
    return Prorate(max_missing=max_missing, method=method, rounding=rounding)  # type: ignore[arg-type]


def parse_subscales(node: object, ctx: Ctx, items: tuple[Item, ...]) -> tuple[Subscale, ...]:
    if not isinstance(node, dict):
        ctx.fail("must be a mapping of subscale code to {items, label}")
    result = []
    for code, raw in node.items():
        sctx = ctx.key(str(code))
        as_str(code, sctx, pattern=SLUG_RE)
        data = as_mapping(raw, sctx, {"items", "label"}, {"method"})
        numbers = []
        for i, n in enumerate(as_list(data["items"], sctx.key("items"))):
            number = as_item_number(n, sctx.key("items").index(i), len(items))
            if number in numbers:
                sctx.key("items").index(i).fail(f"item {number} is listed twice")
            if not items[number - 1].scored:
                sctx.key("items").index(i).fail(f"item {number} is not scored")
            numbers.append(number)
        method = as_str(data.get("method", "sum"), sctx.key("method"), choices=("sum", "mean"))
        label = as_text(data["label"], sctx.key("label"))
        result.append(Subscale(code=code, items=tuple(numbers), label=label, method=method))  # type: ignore[arg-type]
    return tuple(result)


def parse_skip_logic(node: object, ctx: Ctx, items: tuple[Item, ...]) -> tuple[SkipRule, ...]:
    rules = []
    for i, raw in enumerate(as_list(node, ctx)):
        rctx = ctx.index(i)
        data = as_mapping(raw, rctx, {"when", "skip"}, {"match", "score"})
        when = tuple(
            parse_condition(c, rctx.key("when").index(j), items)
            for j, c in enumerate(as_list(data["when"], rctx.key("when")))
        )
        skip = tuple(
            as_item_number(n, rctx.key("skip").index(j), len(items))
            for j, n in enumerate(as_list(data["skip"], rctx.key("skip")))
        )
        score = as_int(data.get("score", 0), rctx.key("score"))
        for j, number in enumerate(skip):
            if score not in items[number - 1].options.values:
                rctx.key("skip").index(j).fail(
                    f"skip score {score} is not an option value of item {number}"
                )
            if any(c.item == number for c in when):
                rctx.key("skip").index(j).fail(f"item {number} cannot skip itself")
        match = as_str(data.get("match", "all"), rctx.key("match"), choices=("all", "any"))
        rules.append(SkipRule(when=when, skip=skip, match=match, score=score))  # type: ignore[arg-type]
    return tuple(rules)


def computed_range(
    method: str, items: tuple[Item, ...], multiplier: Number
) -> tuple[Number, Number]:
    scored = [item for item in items if item.scored]
    low = sum(item.min_score for item in scored)
    high = sum(item.max_score for item in scored)
    if method == "mean":
        return low / len(scored) * multiplier, high / len(scored) * multiplier
    return low * multiplier, high * multiplier


def parse_scoring(node: object, ctx: Ctx, items: tuple[Item, ...]) -> Scoring:
    data = as_mapping(
        node, ctx, {"method", "range"}, {"multiplier", "prorate", "subscales", "skip_logic"}
    )
    method = as_str(data["method"], ctx.key("method"), choices=("sum", "mean"))
    multiplier = as_number(data.get("multiplier", 1), ctx.key("multiplier"))
    if multiplier <= 0:
        ctx.key("multiplier").fail("must be positive")
    raw_range = as_list(data["range"], ctx.key("range"))
    if len(raw_range) != 2:
        ctx.key("range").fail("must be [min, max]")
    declared = (
        as_number(raw_range[0], ctx.key("range").index(0)),
        as_number(raw_range[1], ctx.key("range").index(1)),
    )
    computed = computed_range(method, items, multiplier)
    if declared != computed:
        ctx.key("range").fail(
            f"declared {list(declared)} but the items' option values give {list(computed)} "
            f"(method {method}, multiplier {multiplier})"
        )
    n_scored = sum(1 for item in items if item.scored)
    prorate = (
        parse_prorate(data["prorate"], ctx.key("prorate"), n_scored) if "prorate" in data else None
    )
    subscales = (
        parse_subscales(data["subscales"], ctx.key("subscales"), items)
        if "subscales" in data
        else ()
    )
    skip = (
        parse_skip_logic(data["skip_logic"], ctx.key("skip_logic"), items)
        if "skip_logic" in data
        else ()
    )
    return Scoring(
        method=method,  # type: ignore[arg-type]
        range=declared,
        multiplier=multiplier,
        prorate=prorate,
        subscales=subscales,
        skip_logic=skip,
    )


def integer_scale(scoring: Scoring) -> bool:
    rounds = scoring.prorate is None or scoring.prorate.rounding == "half_up"
    return scoring.method == "sum" and isinstance(scoring.multiplier, int) and rounds


def parse_bands(node: object, ctx: Ctx, scoring: Scoring) -> tuple[Band, ...]:
    low, high = scoring.range
    integer = integer_scale(scoring)
    bands: list[Band] = []
    labels: set[str] = set()
    entries = as_list(node, ctx)
    for i, raw in enumerate(entries):
        bctx = ctx.index(i)
        data = as_mapping(raw, bctx, {"min", "label"}, {"max", "max_exclusive", "display"})
        if ("max" in data) == ("max_exclusive" in data):
            bctx.fail("give exactly one of 'max' (inclusive) or 'max_exclusive'")
        band = Band(
            min=as_number(data["min"], bctx.key("min")),
            max=as_number(data["max"], bctx.key("max")) if "max" in data else None,
            max_exclusive=(
                as_number(data["max_exclusive"], bctx.key("max_exclusive"))
                if "max_exclusive" in data
                else None
            ),
            label=as_str(data["label"], bctx.key("label")),
            display=as_text(data["display"], bctx.key("display"))
            if "display" in data
            else MappingProxyType({}),
        )
        if band.label in labels:
            bctx.key("label").fail(f"duplicate band label {band.label!r}")
        labels.add(band.label)
        if band.max is not None and band.max < band.min:
            bctx.key("max").fail(f"{band.max} is below min {band.min}")
        if band.max_exclusive is not None and band.max_exclusive <= band.min:
            bctx.key("max_exclusive").fail(f"{band.max_exclusive} must be above min {band.min}")
        if band.max is not None and not integer and i < len(entries) - 1:
            bctx.key("max").fail(
                "this scale has decimals: use max_exclusive so no value falls between bands"
            )
        if i == 0 and band.min != low:
            bctx.key("min").fail(
                f"the first band must start at the scale minimum {low}, not {band.min}"
            )
        if i > 0:
            prev = bands[-1]
            # Each band has exactly one of max / max_exclusive (checked above).
            expected = prev.max + 1 if prev.max is not None else cast(Number, prev.max_exclusive)
            if band.min > expected:
                bctx.key("min").fail(
                    f"{band.min} leaves a gap after bands[{i - 1}] (expected {expected})"
                )
            if band.min < expected:
                bctx.key("min").fail(f"{band.min} overlaps bands[{i - 1}] (expected {expected})")
        bands.append(band)
    last = bands[-1]
    end_ctx = ctx.index(len(bands) - 1)
    if last.max is not None and last.max != high:
        end_ctx.key("max").fail(
            f"the last band must end at the scale maximum {high}, not {last.max}"
        )
    if last.max_exclusive is not None and last.max_exclusive <= high:
        end_ctx.key("max_exclusive").fail(f"the last band must include the scale maximum {high}")
    return tuple(bands)
