"""The workbooks (and csv files) the product hands to people, and the small ones it reads back.

- `write`: every xlsx and csv the product writes puts its values in through this module, so that
  text a person typed (a member's, payee's, bank's or office's name, a memo, a reference) is a
  text cell whatever it starts with, never a formula that runs in the file a finance officer or
  a bank opens, and figures are numbers in the product's number format.
  tests/test_spreadsheet_writer.py proves that no other module writes a cell, and
  tests/test_export_formulas.py walks every export the product offers with hostile names.
- `read`: the reference-data workbooks offices exchange with the product (the units of an
  office's tree), read so that nothing in them is trusted. The member lists of enrollment are far
  larger and have their own reader (`enrollment.workbook`).
"""
