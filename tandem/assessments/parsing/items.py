"""Option sets, items and conditions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tandem.assessments.parsing.readers import (
    PLACEHOLDER_RE,
    SLUG_RE,
    Ctx,
    as_bool,
    as_int,
    as_item_number,
    as_list,
    as_mapping,
    as_number,
    as_str,
    as_text,
)
from tandem.assessments.schema import OPERATORS, Condition, Item, Option, OptionSet, Text


def parse_option_sets(node: object, ctx: Ctx, languages: tuple[str, ...]) -> dict[str, OptionSet]:
    if not isinstance(node, dict) or not node:
        ctx.fail("must be a non-empty mapping of option-set name to a list of options")
    sets: dict[str, OptionSet] = {}
    for name, raw in node.items():
        sctx = ctx.key(str(name))
        as_str(name, sctx, pattern=SLUG_RE)
        options = []
        seen: set[int] = set()
        entries = as_list(raw, sctx)
        if len(entries) < 2:
            sctx.fail("needs at least two options")
        for i, entry in enumerate(entries):
            octx = sctx.index(i)
            data = as_mapping(entry, octx, {"value"}, {"label"})
            value = as_int(data["value"], octx.key("value"))
            if value in seen:
                octx.key("value").fail(f"duplicate value {value}")
            seen.add(value)
            label = (
                as_text(data["label"], octx.key("label"), languages) if "label" in data else None
            )
            options.append(Option(value=value, label=label))
        sets[name] = OptionSet(code=name, options=tuple(options))
    return sets


def check_placeholders(text: Text, ctx: Ctx, declared: Mapping[str, Text]) -> None:
    for lang, value in text.items():
        for name in PLACEHOLDER_RE.findall(value):
            if name not in declared:
                ctx.key(lang).fail(f"placeholder {{{name}}} is not declared in placeholders")


def parse_items(
    node: object,
    ctx: Ctx,
    languages: tuple[str, ...],
    option_sets: Mapping[str, OptionSet],
    placeholders: Mapping[str, Text],
) -> tuple[Item, ...]:
    items: list[Item] = []
    ids: set[str] = set()
    for i, entry in enumerate(as_list(node, ctx)):
        ictx = ctx.index(i)
        data = as_mapping(
            entry, ictx, {"number", "id", "text", "options"}, {"scored", "required", "reverse"}
        )
        number = as_int(data["number"], ictx.key("number"))
        if number != i + 1:
            ictx.key("number").fail(
                f"items must be numbered 1, 2, 3, ... in order; expected {i + 1}, got {number}"
            )
        item_id = as_str(data["id"], ictx.key("id"), pattern=SLUG_RE)
        if item_id in ids:
            ictx.key("id").fail(f"duplicate item id {item_id!r}")
        ids.add(item_id)
        text = as_text(data["text"], ictx.key("text"), languages)
        check_placeholders(text, ictx.key("text"), placeholders)
        set_name = as_str(data["options"], ictx.key("options"))
        if set_name not in option_sets:
            known = ", ".join(sorted(option_sets))
            ictx.key("options").fail(f"unknown option set {set_name!r} (defined: {known})")
        items.append(
            Item(
                number=number,
                id=item_id,
                text=text,
                options=option_sets[set_name],
                scored=as_bool(data.get("scored", True), ictx.key("scored")),
                required=as_bool(data.get("required", True), ictx.key("required")),
                reverse=as_bool(data.get("reverse", False), ictx.key("reverse")),
            )
        )
    if not any(item.scored for item in items):
        ctx.fail("at least one item must be scored")
    if not any(item.scored and item.required for item in items):
        ctx.fail("at least one scored item must be required")
    return tuple(items)


def parse_condition(
    node: object, ctx: Ctx, items: tuple[Item, ...], scores: Iterable[str] = ()
) -> Condition:
    data = as_mapping(node, ctx, {"op", "value"}, {"item", "score"})
    op = as_str(data["op"], ctx.key("op"), choices=OPERATORS)
    value = as_number(data["value"], ctx.key("value"))
    if ("item" in data) == ("score" in data):
        ctx.fail("give exactly one of 'item' or 'score'")
    if "item" in data:
        return Condition(
            op=op, value=value, item=as_item_number(data["item"], ctx.key("item"), len(items))
        )
    allowed = tuple(scores)
    if not allowed:
        ctx.key("score").fail("only item conditions are allowed here")
    return Condition(
        op=op, value=value, score=as_str(data["score"], ctx.key("score"), choices=allowed)
    )
