"""The benefit engine: a schedule of rules (data) applied to one claim.

Pure domain logic on purpose: no model, no database, no clock, so that it can be tested with
property-based tests and the same function serves the claim form, the batch payout and the editor's
"what would this cost" preview without side effects. The one Django import is translation
(`gettext`, `gettext_lazy`): the settlement lines and the schedule errors are read by members and
offices in Chinese.

The modules, each importing only those above it in this list:
- money.py      Decimal constants and the one rounding helper
- checks.py     the error a bad schedule raises and the checks of single values
- sections.py   the parts of a schedule (segments, bands, critical illness, death, disability,
                variants, the terms of each kind of care, the versions by date)
- parse.py      the office's JSON read into a schedule's fields
- schedule.py   `Schedule`: the whole of a region's rules, `from_dict` / `to_dict`
- wording.py    how the words are looked up, and left out of a bulk run (`without_words`)
- explain.py    the words of each settlement line, and their arithmetic
- refusals.py   the words of each reason a claim is not paid
- facts.py      `Claim` (with its earlier claims), what came before it for its kind's limits, the
                base its kind pays on and what the member bore after the other payers
- calculate.py  `calculate(schedule, claim)`: the claim's figures in, the payout and its lines out
- editor.py     the schedule editor's field reference and presets
- upgrade.py    stored schedules brought to the current form (for the data migration)

Importers name the module (`from claims.benefits.calculate import calculate`); this file exports
nothing.
"""
