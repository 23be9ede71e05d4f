// Renamed rules. A rule's id is a slug of its name, and the id keys everything a rule leaves behind:
// its schedules, its runs (`goal:<rule>:<rep>:<period>`, `seq:<rule>:…`, `payout:<rule>:…`), its
// statements and ledger rows. So a rule renamed is, to salesflow, one rule removed and another added,
// and the new name starts over. Shown as two unrelated lines ("+ added", "- removed") that hides
// what an ops engineer must know before applying; so `status` and `plan`/`apply` pair a removed rule
// with an added one of the same kind whose content is otherwise the same, and say what the rename
// does to each kind. `apply` also does not start a renamed goal's period under way: the old name's
// runs of that period go on (runs keep the rule they started with), and a second set of runs would
// send every rep each check-in and the review twice; and `payouts run` finds the runs an incentive
// made under its former names (src/renames/former-names.ts) instead of asking and paying again.
// The pairing itself is src/renames/pairing.ts.

/** What a rename does, by kind of rule: the sentence `status` and `plan` show under it. */
export function renameConsequence(kind: string): string {
  switch (kind) {
    case 'goal':
      return 'runs already started go on under the old name to the end of their period; apply starts no second run for the period under way, the new name\'s runs begin with the next period';
    case 'incentive':
      return 'statements and ledger rows are kept per rule: "payouts run" of a period run under the old name leaves its reps alone, ' +
        'but draw balances, clawbacks and dispute adjustments do not carry over to the new name';
    case 'sequence':
      return 'runs already started go on under the old name; a lead or deal in one of them that triggers again starts the new name\'s run too';
    default:
      return 'the new name starts without the old name\'s history';
  }
}

/**
 * What `status` and `plan` say about a goal added in the same plan as goals removed (and not paired
 * as renames): apply starts the new goal's period under way while the removed goals' runs of theirs
 * go on, so a rep both select gets both sets of emails. That is also what a goal renamed and changed
 * at once does (it is a new goal to salesflow), which its author rarely means; the way to rename it
 * without a second set of emails is two applies.
 */
export function addedBesideRemovedGoals(added: string, removed: string[]): string {
  const names = removed.map((name) => `"${name}"`).join(', ');
  const one = removed.length === 1;
  return `${one ? 'goal' : 'goals'} ${names} (removed in this plan) ${one ? 'keeps its' : 'keep their'} runs of the period under way to its end: ` +
    `a rep selected by "${added}" and ${names} gets the check-ins and review of both for that period. ` +
    `If "${added}" is ${one ? names : `one of ${names}`} renamed and changed, apply the rename alone first ` +
    `(a rename starts no second run; the new name's runs begin with the next period), then the change`;
}
