"""The member-list workbook (参保人员名单): the template units fill in, the reader, and the
annotated copies sent back when rows have problems. One module per topic; importers name the
module (`from enrollment.workbook.read import read_member_list`), this file exports nothing.

Why it is built this way:

* Units fill the list in Excel or WPS, so the layout does the teaching (`template`): drop-downs,
  text-formatted ID and phone columns (Excel silently turns an 18-digit ID into 6.10102E+17 and
  loses the last digits), notes on the headers and an instructions sheet.
* The reader (`read`) must cope with large lists (a provincial enterprise can upload 100,000
  members), so cell values come from python-calamine, which is an order of magnitude faster than
  openpyxl (`cells` converts them). What calamine does not expose (formulas) and what must be
  known before anything is loaded (the number of rows, the size of the XML) comes from one
  streaming pass over the sheet XML (`scan`), behind the checks of the file as a whole (`guard`).
* Nothing a unit uploads is trusted: every way the file can be wrong ends in a `WorkbookError`
  (`errors`) whose message says what to do, and problems with single cells are collected, not
  raised, so one upload reports all of them at once.
* Problems are handed back in the unit's own file (`annotate.annotate_workbook`) so they can fix
  them where they typed them, or in a fresh file of only the failed rows (`annotate.rows_workbook`).

Headers, sheet names and the example-row mark are Chinese constants (`columns`), not translations:
the reader recognises them whatever language the template was downloaded in.
"""
