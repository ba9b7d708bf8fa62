"""Critical items, follow-up questions, flags and cut-offs."""

from __future__ import annotations

from types import MappingProxyType

from tandem.assessments.parsing.items import parse_condition
from tandem.assessments.parsing.readers import (
    SLUG_RE,
    Ctx,
    as_item_number,
    as_list,
    as_mapping,
    as_number,
    as_str,
    as_text,
)
from tandem.assessments.schema import (
    CUTOFF_OPERATORS,
    OPERATORS,
    TIER_RANK,
    Condition,
    CriticalRule,
    Cutoff,
    Flag,
    Followup,
    FollowupQuestion,
    Item,
    Scoring,
)


def parse_critical_items(
    node: object, ctx: Ctx, items: tuple[Item, ...]
) -> tuple[CriticalRule, ...]:
    rules = []
    for i, raw in enumerate(as_list(node, ctx, allow_empty=True)):
        rctx = ctx.index(i)
        data = as_mapping(raw, rctx, {"item", "op", "value", "tier", "kind"})
        rule = CriticalRule(
            item=as_item_number(data["item"], rctx.key("item"), len(items)),
            op=as_str(data["op"], rctx.key("op"), choices=OPERATORS),
            value=as_number(data["value"], rctx.key("value")),
            tier=as_str(data["tier"], rctx.key("tier"), choices=TIER_RANK),  # type: ignore[arg-type]
            kind=as_str(data["kind"], rctx.key("kind"), pattern=SLUG_RE),
        )
        if not any(rule.fires(v) for v in items[rule.item - 1].options.values):
            rctx.key("value").fail(
                f"no answer to item {rule.item} satisfies {rule.op} {rule.value}: "
                "the rule can never fire"
            )
        rules.append(rule)
    return tuple(rules)


def parse_followups(
    node: object, ctx: Ctx, items: tuple[Item, ...], critical: tuple[CriticalRule, ...]
) -> tuple[Followup, ...]:
    result = []
    ids: set[str] = set()
    for i, raw in enumerate(as_list(node, ctx, allow_empty=True)):
        fctx = ctx.index(i)
        data = as_mapping(raw, fctx, {"item", "kind", "ask_when", "questions"}, {"intro"})
        item = as_item_number(data["item"], fctx.key("item"), len(items))
        if not any(rule.item == item for rule in critical):
            fctx.key("item").fail(f"item {item} has no critical_items rule to follow up")
        when = as_mapping(data["ask_when"], fctx.key("ask_when"), {"op", "value"})
        ask_when = Condition(
            op=as_str(when["op"], fctx.key("ask_when").key("op"), choices=OPERATORS),
            value=as_number(when["value"], fctx.key("ask_when").key("value")),
            item=item,
        )
        questions = []
        for j, q in enumerate(as_list(data["questions"], fctx.key("questions"))):
            qctx = fctx.key("questions").index(j)
            qdata = as_mapping(q, qctx, {"id", "text"}, {"tier_if_yes"})
            qid = as_str(qdata["id"], qctx.key("id"), pattern=SLUG_RE)
            if qid in ids:
                qctx.key("id").fail(f"duplicate follow-up question id {qid!r}")
            ids.add(qid)
            tier = as_str(
                qdata.get("tier_if_yes", "urgent"), qctx.key("tier_if_yes"), choices=TIER_RANK
            )
            questions.append(
                FollowupQuestion(
                    id=qid, text=as_text(qdata["text"], qctx.key("text")), tier_if_yes=tier
                )
            )  # type: ignore[arg-type]
        intro = (
            as_text(data["intro"], fctx.key("intro")) if "intro" in data else MappingProxyType({})
        )
        kind = as_str(data["kind"], fctx.key("kind"), pattern=SLUG_RE)
        result.append(
            Followup(
                item=item, kind=kind, ask_when=ask_when, questions=tuple(questions), intro=intro
            )
        )
    return tuple(result)


def parse_flags(
    node: object, ctx: Ctx, items: tuple[Item, ...], scoring: Scoring
) -> tuple[Flag, ...]:
    scores = ("total", "raw_total", *(f"subscale:{s.code}" for s in scoring.subscales))
    flags = []
    codes: set[str] = set()
    for i, raw in enumerate(as_list(node, ctx, allow_empty=True)):
        fctx = ctx.index(i)
        data = as_mapping(raw, fctx, {"code", "tier", "label", "when"}, {"match"})
        code = as_str(data["code"], fctx.key("code"), pattern=SLUG_RE)
        if code in codes:
            fctx.key("code").fail(f"duplicate flag code {code!r}")
        codes.add(code)
        when = tuple(
            parse_condition(c, fctx.key("when").index(j), items, scores)
            for j, c in enumerate(as_list(data["when"], fctx.key("when")))
        )
        flags.append(
            Flag(
                code=code,
                tier=as_str(data["tier"], fctx.key("tier"), choices=("info", "review")),  # type: ignore[arg-type]
                label=as_text(data["label"], fctx.key("label")),
                when=when,
                match=as_str(data.get("match", "any"), fctx.key("match"), choices=("any", "all")),  # type: ignore[arg-type]
            )
        )
    return tuple(flags)


def parse_cutoff(node: object, ctx: Ctx, scoring: Scoring, *, with_code: bool) -> Cutoff:
    required = {"value", "direction", "source"} | ({"code"} if with_code else set())
    data = as_mapping(node, ctx, required, {"label", "population", "note"})
    value = as_number(data["value"], ctx.key("value"))
    low, high = scoring.range
    if not low <= value <= high:
        ctx.key("value").fail(f"{value} is outside the scale {low}..{high}")
    return Cutoff(
        value=value,
        direction=as_str(data["direction"], ctx.key("direction"), choices=CUTOFF_OPERATORS),  # type: ignore[arg-type]
        source=as_str(data["source"], ctx.key("source")),
        code=as_str(data["code"], ctx.key("code"), pattern=SLUG_RE) if with_code else "clinical",
        label=as_str(data["label"], ctx.key("label")) if "label" in data else "",
        population=as_str(data["population"], ctx.key("population"))
        if "population" in data
        else "",
        note=as_str(data["note"], ctx.key("note")) if "note" in data else "",
    )
