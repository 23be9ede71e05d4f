// Calendar quarters relative to today, so runtime tests always have a closed period to pay and an
// open one to be refused, whatever day they run.
export interface Quarter { label: string; /** ISO date of the Nth day (1-based) of the quarter. */ day(n: number): string }

function quarter(year: number, index: number): Quarter {
  const start = Date.UTC(year, index * 3, 1);
  return { label: `${year}-Q${index + 1}`, day: (n) => new Date(start + (n - 1) * 86_400_000).toISOString().slice(0, 10) };
}

// Both keep a day's distance from the quarter's edge: a rule's zone may be up to 14 hours from UTC,
// so at the first hours of a quarter (UTC) the one before may not have ended where the rule is.

/** A quarter that has not ended anywhere: the current one, or the next in its last day. */
export function openQuarter(now = new Date()): Quarter {
  const later = new Date(now.getTime() + 86_400_000);
  return quarter(later.getUTCFullYear(), Math.floor(later.getUTCMonth() / 3));
}

/** A quarter that has ended everywhere: the one before the current, or the one before that in the current's first day. */
export function closedQuarter(now = new Date()): Quarter {
  const earlier = new Date(now.getTime() - 86_400_000);
  const index = Math.floor(earlier.getUTCMonth() / 3);
  return index === 0 ? quarter(earlier.getUTCFullYear() - 1, 3) : quarter(earlier.getUTCFullYear(), index - 1);
}
