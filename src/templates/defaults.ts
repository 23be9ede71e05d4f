// The emails of the payout flow, used when rules/templates has no file of that name. An incentive
// rule always carries these in its plan (from the folder when present), so the runtime never needs
// a fallback of its own.
export const incentiveTemplateNames = {
  approval: 'incentive-approval',
  statement: 'incentive-statement',
  rejected: 'incentive-rejected',
} as const;

export const defaultTemplateTexts: Record<string, string> = {
  'incentive-approval': `---
subject: Approve {{incentive.name}} for {{rep.name}}, {{statement.period}}: {{statement.total}}
---

{{rep.name}} earned {{statement.total}} under {{incentive.name}} in {{statement.period}}
(attainment {{statement.attainment}}).

{{approval.escalated}}

{{approval.rejected_before}}

{{statement.lines}}

Approve or reject: {{approval.url}}

Without a decision by {{approval.due}} {{approval.after_deadline}}.
`,
  'incentive-statement': `---
subject: Approved: your {{incentive.name}} statement for {{statement.period}}, {{statement.total}}
---

Hi {{rep.name}},

your {{incentive.name}} statement for {{statement.period}} was {{approval.decided}}.
Approved total: {{statement.total}}

{{statement.lines}}
`,
  'incentive-rejected': `---
subject: {{incentive.name}} statement for {{rep.name}}, {{statement.period}} was rejected
---

The {{incentive.name}} statement of {{rep.name}} for {{statement.period}} was {{approval.decided}}.
Nothing is paid for this statement.

Reason: {{approval.reason}}

Rejected total: {{statement.total}}

{{statement.lines}}
`,
};
