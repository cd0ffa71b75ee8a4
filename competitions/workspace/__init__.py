"""The standings workspace: union staff's pages for the full ranking of a day or of a period, its
collective tables, exports (background jobs) and a printable page, under /staff/standings/.

Portal pages rather than the admin: the admin's change lists page by OFFSET and count every row, which
a day of 223,000 rows makes slow at depth, and they cannot show a period snapshot's progress or its
collective tabs. The pages read only through competitions.standings (reads.staff_board and the period
reads): no ranking SQL here. ``lists`` turns a query string into the list asked for (scope, filters),
``views`` serves the pages, ``exports`` writes the xlsx files the jobs (competitions.jobs) produce.
"""
