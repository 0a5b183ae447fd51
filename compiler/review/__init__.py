"""Review a roster change: compare two rosters, judge the risks, write the plan."""
