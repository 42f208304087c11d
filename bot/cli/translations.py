"""Translation commands for staff: `translations` (what is translated, stale or missing, and stubs to
fill in). `validate` and `stale` also name stale translations (see `print_stale`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli.output import plural, progress
from bot.core import config

if TYPE_CHECKING:
    from bot.knowledge.loader import Knowledge


def print_summary(knowledge: Knowledge) -> None:
    """One line after `validate`: the translation files checked and how much they cover."""
    if knowledge.translation_files:
        print(
            f"✓ {plural(len(knowledge.translation_files), 'translation file')} checked; "
            f"{knowledge.translation_coverage.summary()}."
        )


def print_stale(knowledge: Knowledge, stream: TextIO | None = None) -> None:
    """Stale translations (their English original changed): shown in English until redone. A warning,
    not a problem: sync still publishes, and answers never show an outdated translation."""
    stale = knowledge.stale_translations
    if not stale:
        return
    stream = stream or sys.stderr
    print(
        f"\n{plural(len(stale), 'translation')} made from an English text that has changed since "
        "(English is shown instead until each is updated and its `from` fingerprint renewed):",
        file=stream,
    )
    for item in stale:
        print(f"  - {item}", file=stream)


def cmd_translations(args: argparse.Namespace) -> int:
    from bot.knowledge import translations
    from bot.knowledge.loader import read_knowledge

    folder = Path(args.knowledge_dir) if args.knowledge_dir else None
    knowledge = read_knowledge(folder, progress=progress)
    if not knowledge.ok:
        print(
            f"Note: {plural(len(knowledge.problems), 'problem')} in the files (run `beijing-assistant validate`).",
            file=sys.stderr,
        )
    if args.stub:
        lang, kind = args.stub
        if lang not in translations.LANGUAGES or kind not in translations.TRANSLATABLE:
            print(
                f"--stub needs a language ({', '.join(translations.LANGUAGES)}) and a kind "
                f"({', '.join(translations.TRANSLATABLE)})",
                file=sys.stderr,
            )
            return 2
        stale_fields = {(s.id, s.path) for s in knowledge.stale_translations if s.lang == lang}
        todo: dict[str, dict[str, str]] = {}
        for rec in knowledge.records[kind]:
            done = (rec.get("translations") or {}).get(lang) or {}
            for path, text in translations.fields(kind, rec).items():
                if path not in done or (rec["id"], path) in stale_fields:
                    todo.setdefault(rec["id"], {})[path] = "TODO: " + text["en"]
        print(
            translations.overlay_text(
                kind,
                lang,
                knowledge.records[kind],
                todo,
                header=f"Untranslated or stale fields of {kind} in {lang}: replace each TODO text with the "
                f"translation\nand copy the entries into knowledge/translations/{lang}/{kind}.yml.",
            ),
            end="",
        )
        return 0
    cov = knowledge.translation_coverage
    print(
        f"Translations of {plural(cov.total_fields, 'text field')} people read "
        "(knowledge/translations/<language>/<kind>.yml):"
    )
    for lang in translations.LANGUAGES:
        stale = sum(1 for s in knowledge.stale_translations if s.lang == lang)
        print(
            f"  {lang}: {cov.merged[lang]} shown ({cov.reviewed[lang]} reviewed by staff, "
            f"{cov.merged[lang] - cov.reviewed[lang]} machine-assisted), {stale} stale, "
            f"{cov.total_fields - cov.merged[lang] - stale} not translated (English is shown)"
        )
    print_stale(knowledge)
    print(
        "\nTo translate what is missing: beijing-assistant translations --stub ru procedures. "
        "How to review: knowledge/README.md, section Translations."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "translations",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="how much of the knowledge is translated into ja ko ru fr de es ar; stale translations; stubs",
        description="Count, language by language, the translated text fields that answers show, the ones\n"
        "reviewed by staff, the stale ones (their English original changed) and the missing ones.\n"
        "With --stub, print the missing and stale fields of one file ready to translate, each with\n"
        "the fingerprint of its English original.",
        epilog="example:\n  beijing-assistant translations\n  beijing-assistant translations --stub ru procedures > todo.yml",
    )
    p.add_argument(
        "--knowledge-dir",
        help=f"folder of knowledge YAML files (default: KNOWLEDGE_DIR or {config.knowledge_dir()})",
    )
    p.add_argument("--stub", nargs=2, metavar=("LANG", "KIND"), help="print a stub to translate")
    p.set_defaults(func=cmd_translations)
