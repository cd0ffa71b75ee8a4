"""Honours: award rounds (评选) of 先进个人 and 先进集体, from the period standings to the final list.

``models`` (imported by competitions/models.py, so the tables are the competitions app's), ``querysets`` (who
sees what), ``shortlist`` (the shortlist from a period snapshot: quotas, eligibility, the tie at the line),
``services`` (the workflow: committee, 拟表彰名单, 公示, objections, final, cancel), ``freeze`` (the database
guard of a finalized round).
"""
