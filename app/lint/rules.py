"""The lint rules: id, default severity and what each one finds. Messages are built where the problem is found."""

from __future__ import annotations

from dataclasses import dataclass

from app.lint.diagnostic import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("syntax-error", _E, "the spell does not parse"),
        Rule("unknown-member", _E, "a bridge global has no such method (LLM.compleet)"),
        Rule("unknown-method", _E, "a handle has no such method (agent:runn; the type is known from its constructor)"),
        Rule("argument-count", _E, "too few or too many arguments for a bridge method"),
        Rule("argument-type", _E, "a literal argument or option value of the wrong type"),
        Rule("unknown-option", _E, "an options-table key the method does not take"),
        Rule("missing-option", _E, "an option the method requires is not given"),
        Rule("undefined-global", _E, "a name that is neither local nor provided to spells"),
        Rule("not-in-sandbox", _E, "a standard-library name that the spell sandbox does not provide (os.execute, io)"),
        Rule("missing-module", _E, "require/import of a sibling module that does not exist"),
        Rule("bridge-assignment", _E, "assignment to a bridge global or one of its methods"),
        Rule("global-assignment", _W, "assignment to an undeclared global (declare it local)"),
        Rule("unused-local", _W, "a local variable that is never read"),
        Rule("unused-param", _W, "a function parameter that is never read"),
        Rule("unused-import", _W, "a module imported/required and never used"),
        Rule("shadowing", _W, "a local that hides another local or a global of the same name"),
        Rule("unreachable-code", _W, "statements after return, break or error() never run"),
        Rule("assignment-in-condition", _W, "an assignment where a comparison was probably meant (if (a = 1))"),
        Rule("too-deep", _W, "code nested too deeply for the linter: the file was not (fully) checked"),
    ]
}


def rule(rule_id: str) -> Rule:
    """The rule with ``rule_id`` (KeyError for an unknown id: rules are a closed set)."""
    return RULES[rule_id]
