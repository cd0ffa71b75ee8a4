"""Daily standings: the SQL that computes them, the partitions that hold them, and the read paths the portal
and the API use. ``ranking`` composes the ranking statement, ``run`` writes a day with it, ``partitions``
publishes, merges and drops Standing's partitions, ``reads`` serves the pages; ``table`` renders the
partitioned parent (standings_partitioned.sql) the migration installs; ``periods`` computes and reads the
period standings (the points of a range of days, as the entries stand now); ``approvals`` closes and consumes
the approval log's segments.

How a run works (competitions.services.standings_recompute drives it, under a lock, in one transaction):

* **Change log.** A trigger on reviews_workentry (reviews/sql/entry_log.sql) writes into
  StandingDelta what every insert, update or delete changes in the entries' contribution: quantity,
  points, approved points and the number of counted entries per (competition, worker, rule, work_date).
  Rejected entries count nothing, so a rejection logs the negative of what the entry counted, and a rule
  change that rewrites points logs the difference on the days it touched, and only those.
  A review that only moves entries between pending and approved (approving a month: 800,000 entries)
  changes nothing but the approved split; the trigger logs it in StandingApproval instead, one row per
  worker and statement (the month's approval job merges its steps' rows into one per worker) with the
  approved points per date in arrays, dated for the runs at the latest
  stored day (or the entry's date when later). Runs add a row whole; readers of "dated up to X" for an
  earlier X sum its dates up to X (ranking.approved_through). So the night after an approval day reads
  a row per worker, not one per approved entry. The approval log is kept in segments
  (StandingApprovalSegment; ``approvals``): a run closes the open one before its snapshot and consumes the
  closed ones by marking them with its id, so it never deletes or copies an approval row.
* **Base.** The cumulative points of every worker are carried from run to run in the day's standings
  rows themselves (Standing: points, approved points and ``entries``, the number of counted entries).
  The competition's latest succeeded run that consumed the change log records its day as ``totals_day``:
  its rows hold every counted entry dated up to that day, as of that run, and the change log holds
  everything that happened since. An incremental run for day D >= totals_day adds the deltas dated <= D
  to the base day's rows (one aggregate per worker over both; a worker whose counted entries drop to none
  leaves the standings) and deletes them; deltas dated after D stay for later. Its cost follows the
  number of workers and of changes since the last run, not the length of the competition.
  Why not "workers whose entries have updated_at after the last run": every worker gets new entries every
  day, so that re-reads each worker's whole history every night (cost grows with the competition), and an
  edit or rejection cannot be subtracted without the old row, which only the trigger sees.
  Cumulative quantity and points per rule are not carried: a worker's page reads them from their own
  entries (worker_rule_totals, one index scan of a few hundred rows), as of the standings day, so the run
  neither writes nor keeps a row per (worker, rule), and does not fold each night's deltas into them.
* **Full.** A full run for D >= totals_day (a repair) drops the competition's deltas dated <= D and
  sums the entries dated <= D per worker, on one REPEATABLE READ snapshot so a delta committed meanwhile
  is neither lost nor counted twice. A run for a day older than totals_day is computed the same way from
  the entries (work_date <= D) but leaves the change log and totals_day alone.
* **Ranking.** One statement with window functions ranks every worker with counted entries
  (in a full run the same statement also sums the entries, in parallel):
  overall, within the business system of the worker's job type, within the job type, and within the
  worker's depot (站段, Unit.depot; null for a worker not under a depot). Ranks are on the total points,
  i.e. approved plus still pending (rejected entries excluded): the portal shows a provisional ranking
  every day, and the approved part is stored next to it so people see how much of it is final. RANK():
  ties share a rank (1, 2, 2, 4); lists order ties by worker id.
* **Replace.** The ranked rows are written once: they are the day's history (my standing, my history)
  and its leaderboards (one index per scope). The ranking statement creates the day's partition of
  Standing itself (CREATE TABLE … AS), which is then indexed and swapped in for the day's previous
  partition. The day is recorded in StandingDay. All of it happens in the same transaction as the change
  log's deletion and the run record, so readers see the previous complete set until commit, a crashed run
  leaves nothing half-written, and running twice gives the same rows.
* **Corrections and log positions.** Period standings need any stored day "as the entries stand now"
  (competitions.standings.periods). Each stored day records its log position (StandingDay.run): the
  consuming run whose change log its rows include. Invariant: a stored day X holds the counted entries
  dated <= X as of that run's snapshot; everything since is in the change log the later consuming runs
  consumed, or in the live log. So a consuming run, before it deletes the deltas dated <= D, copies those
  dated up to the latest day stored before D (corrections of stored days; the night's new work is dated D
  and no stored day before D needs it) into StandingCorrection with its run id, in the same snapshot; the
  approval log's rows it takes in stay where they are, in the segments it marks as consumed by it (readers
  sum their dates up to the stored day);
  corrections_since(X) sums the archive of the runs after X's and the live logs dated <= X. Why it holds
  for each kind of run: an incremental run for D adds to the base day (entries <= base day as of the
  previous consuming run) the log dated <= D, which holds every change since for dates <= base day and
  every change ever for the dates after it (they were never consumed): entries <= D as of this run,
  position = this run. A full
  run for D >= totals_day sums the entries on the snapshot whose log it then drops: position = this run.
  A repair of an old day X < totals_day sums the entries dated <= X minus the live log dated <= X (the
  changes since the latest consuming run, which consumed everything dated <= totals_day before them) on
  one snapshot: X as of that run, whose position it records (the base day's; so a repaired old day shows
  the entries as of the last consuming run, and later corrections reach it through corrections_since,
  as for any stored day). Consuming runs go in
  order of their run ids (runs are serialized by the lock in the order their rows were created, which
  standings_totals_day relies on too), and their days never decrease, so "the archive of runs after X's
  run, dated <= X" is exactly what X's rows lack. Days stored before positions were recorded have none
  (null) and are not used as a period bound.
* **Months.** Once a month is over (and two days more), a monthly job merges its daily partitions into
  one (compact_month), so that "my history" over a year-long competition plans and locks ~12 + 31
  partitions instead of 365. A repair of a day of a merged month deletes and inserts the day's rows there.
"""

from competitions.standings.partitions import (
    PARTITION_INDEXES,
    compact_month,
    compactable_months,
    forget_competition,
)
from competitions.standings.ranking import APPROVED_STATUSES, STANDING
from competitions.standings.reads import (
    SCOPES,
    BoardRow,
    Cursor,
    RuleTotal,
    around_standing,
    around_worker,
    latest_day,
    leaderboard,
    worker_history,
    worker_rule_totals,
    worker_standing,
)
from competitions.standings.run import delete_deltas, replace_day

__all__ = [
    "APPROVED_STATUSES", "PARTITION_INDEXES", "SCOPES", "STANDING", "BoardRow", "Cursor", "RuleTotal",
    "around_standing", "around_worker", "compact_month", "compactable_months", "delete_deltas",
    "forget_competition", "latest_day", "leaderboard", "replace_day", "worker_history", "worker_rule_totals",
    "worker_standing",
]
