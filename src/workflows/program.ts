// A sequence's steps (nested if/else) flattened into a list of instructions with jumps, so the
// position in a run is one number: it survives continue-as-new and reads well in a history.
import type { Duration, Expr, Send, SequenceStep } from '../plan/schema.js';

export type Instruction =
  | { op: 'send'; send: Send }
  | { op: 'wait'; id: string; duration: Duration }
  /** Falls through into the `then` steps when the condition holds, else jumps to `elseAt`. */
  | { op: 'branch'; id: string; condition: Expr; elseAt: number }
  | { op: 'jump'; to: number };

export function compileSteps(steps: SequenceStep[]): Instruction[] {
  const program: Instruction[] = [];
  const emit = (list: SequenceStep[]) => {
    for (const step of list) {
      if (step.kind === 'send') program.push({ op: 'send', send: step.send });
      else if (step.kind === 'wait') program.push({ op: 'wait', id: step.id, duration: step.duration });
      else {
        const branch: Instruction = { op: 'branch', id: step.id, condition: step.condition, elseAt: -1 };
        program.push(branch);
        emit(step.then);
        const jump: Instruction = { op: 'jump', to: -1 };
        program.push(jump);
        branch.elseAt = program.length;
        emit(step.else);
        jump.to = program.length;
      }
    }
  };
  emit(steps);
  return program;
}
