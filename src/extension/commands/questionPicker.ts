import * as vscode from 'vscode';
import type { PermissionRequest, Question } from '../../services/agents/agentRuntime';

/** Question text → the user's answer: a choice's label, their own words, or several for a multiple-choice question. */
export type Answers = Record<string, string | string[]>;

const OTHER = 'Other…';

/**
 * Asks the user each of the agent's questions in turn, as the CLI's own prompt does: its choices
 * with their descriptions, one or several, or "Other…" for their own words. Undefined when the
 * user dismisses any of them (nothing is answered then).
 */
export async function pickAnswers(agentName: string, request: PermissionRequest): Promise<Answers | undefined> {
  const questions = request.questions ?? [];
  const answers: Answers = {};
  for (const [i, q] of questions.entries()) {
    const answer = await pickOne(agentName, q, questions.length > 1 ? ` (${i + 1}/${questions.length})` : '');
    if (answer === undefined) return undefined;
    answers[q.question] = answer;
  }
  return answers;
}

async function pickOne(agentName: string, q: Question, step: string): Promise<string | string[] | undefined> {
  const title = `${agentName} asks${q.header ? `: ${q.header}` : ''}${step}`;
  const items: vscode.QuickPickItem[] = [
    ...q.options.map((o) => ({ label: o.label, detail: o.description || undefined })),
    { label: OTHER, detail: 'Answer in your own words' },
  ];
  const own = async () => {
    const text = await vscode.window.showInputBox({ title, prompt: q.question, placeHolder: 'Your answer', validateInput: (v) => (v.trim() ? undefined : 'Type an answer, or press Escape to leave the question open') });
    return text?.trim() || undefined;
  };
  if (q.multiSelect) {
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: `${q.question} (choose one or more)`, canPickMany: true, ignoreFocusOut: true });
    if (!picked?.length) return undefined;
    const labels = picked.filter((p) => p.label !== OTHER).map((p) => p.label);
    if (picked.some((p) => p.label === OTHER)) {
      const text = await own();
      if (text === undefined) return undefined;
      labels.push(text);
    }
    return labels;
  }
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: q.question, ignoreFocusOut: true });
  if (!picked) return undefined;
  return picked.label === OTHER ? own() : picked.label;
}
