"""Paging limits shared by the API's pagination (config.rest) and the selectors that count
like it (customers.selectors.group_member_counts). Plain values: this module imports nothing.
"""

# On PostgreSQL rows are counted exactly up to this many; a larger total is the planner's
# estimate (flagged `count_is_estimate`), never below the rows counted (this many plus one):
# no count reads further.
EXACT_COUNT_LIMIT = 10_000
# A total its estimate puts past this many times EXACT_COUNT_LIMIT is not counted at all (an
# unfiltered list's table estimate, a group's members): such an estimate is on the wrong side
# of the limit only if the rows lost over half their number since the statistics were taken
# (imports ANALYZE, and autovacuum does when a tenth of the table changed).
ESTIMATE_TRUSTED = 2
