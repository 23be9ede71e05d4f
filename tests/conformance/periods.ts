// Calendar quarters relative to today, so runtime tests always have a closed period to pay and an
// open one to be refused, whatever day they run.
export interface Quarter { label: string; /** ISO date of the Nth day (1-based) of the quarter. */ day(n: number): string }

function quarter(year: number, index: number): Quarter {
  const start = Date.UTC(year, index * 3, 1);
  return { label: `${year}-Q${index + 1}`, day: (n) => new Date(start + (n - 1) * 86_400_000).toISOString().slice(0, 10) };
}

export function openQuarter(now = new Date()): Quarter {
  return quarter(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3));
}

export function closedQuarter(now = new Date()): Quarter {
  const index = Math.floor(now.getUTCMonth() / 3);
  return index === 0 ? quarter(now.getUTCFullYear() - 1, 3) : quarter(now.getUTCFullYear(), index - 1);
}
