import { ClaudeManagerError } from '../errors';

/** A "don't ask again" choice the CLI offers with a request: its wording here, and the rule as the CLI sent it. */
export interface PermissionSuggestion {
  /** e.g. "Yes, and don't ask again for Bash(npm test *) in this project". */
  label: string;
  /** Sent back unchanged as `updatedPermissions` when chosen. */
  value: unknown;
}

/** A tool call waiting for the user's answer (the API's PermissionRequest). */
export interface PermissionRequest {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
  /** One line, e.g. "Write src/a.ts". */
  summary: string;
  requestedAt: string;
  /** The CLI's own "don't ask again" choices for this call (`permission_suggestions`), in its order. */
  suggestions?: PermissionSuggestion[];
  /** Why the CLI asks ("This command requires approval"), when it says. */
  reason?: string;
  /** For the agent's questions (`AskUserQuestion`): what it asks; answered with `answers`. */
  questions?: Question[];
}

/** One choice of a question. */
export interface QuestionOption {
  label: string;
  description: string;
  /** What the choice would look like (a mockup, code), when the agent gives one. */
  preview?: string;
}

/** A question the agent asks the user (its `AskUserQuestion` tool), as the CLI sends it. */
export interface Question {
  /** The whole question; answers are keyed by it. */
  question: string;
  /** A short tag for it ("Library"). */
  header: string;
  /** Whether several choices may be taken. */
  multiSelect: boolean;
  /** 2–4 choices; any other answer is the user's own text ("Other"). */
  options: QuestionOption[];
}

/** The tool through which the agent asks the user questions. */
export const QUESTION_TOOL = 'AskUserQuestion';

const MAX_ANSWER = 10_000;

/** The questions of an `AskUserQuestion` request, or undefined when its input is not of that shape (then it is asked as a plain permission). */
export function questionsOf(toolName: string, input: Record<string, unknown>): Question[] | undefined {
  if (toolName !== QUESTION_TOOL || !Array.isArray(input.questions) || input.questions.length === 0) return undefined;
  const questions: Question[] = [];
  for (const raw of input.questions as unknown[]) {
    const q = raw as { question?: unknown; header?: unknown; multiSelect?: unknown; options?: unknown };
    if (!q || typeof q.question !== 'string' || !q.question.trim() || !Array.isArray(q.options) || q.options.length === 0) return undefined;
    const options: QuestionOption[] = [];
    for (const o of q.options as unknown[]) {
      const option = o as { label?: unknown; description?: unknown; preview?: unknown };
      if (!option || typeof option.label !== 'string' || !option.label.trim()) return undefined;
      options.push({
        label: option.label,
        description: typeof option.description === 'string' ? option.description : '',
        ...(typeof option.preview === 'string' && option.preview ? { preview: option.preview } : {}),
      });
    }
    questions.push({ question: q.question, header: typeof q.header === 'string' ? q.header : '', multiSelect: q.multiSelect === true, options });
  }
  return questions;
}

/** The user's answer to a permission request. */
export interface PermissionAnswer {
  behavior: 'allow' | 'deny';
  /** For a denial: why, read by the agent. */
  message?: string;
  /** Allow the whole tool for the rest of the session (every Bash command, every Write). */
  always?: boolean;
  /** Allow, and add the rule of `suggestions[suggestion]` as the CLI offered it. */
  suggestion?: number;
  /**
   * For a request with `questions`: the answer to each, keyed by its question text: a choice's
   * label, or the user's own words; for a multiple-choice question, a list of them.
   */
  answers?: Record<string, string | readonly string[]>;
}

/** One line for a question request: its first question, and how many more follow. */
export function questionSummary(questions: readonly Question[]): string {
  const first = questions[0]!.question.split('\n')[0]!.trim();
  const line = first.length > 100 ? `${first.slice(0, 99)}…` : first;
  return questions.length > 1 ? `${line} (and ${questions.length - 1} more)` : line;
}

/** The reason an agent waits for the oldest of its requests: "needs permission: Write a.ts", or "asks: Which database?". */
export function waitingReason(request: PermissionRequest): string {
  return request.questions ? `asks: ${request.summary}` : `needs permission: ${request.summary}`;
}

/** The answers the CLI takes (question → text; several choices comma-separated), checked against what was asked. */
function answersFor(questions: readonly Question[], given: Record<string, string | readonly string[]> | undefined): Record<string, string> {
  const asked = questions.map((q) => `"${q.question}"`).join(', ');
  if (!given || typeof given !== 'object') throw new ClaudeManagerError('INVALID_INPUT', `The agent asks ${asked}: allow with an answer to each question (answers), or deny.`);
  const known = new Set(questions.map((q) => q.question));
  const stray = Object.keys(given).find((k) => !known.has(k));
  if (stray !== undefined) throw new ClaudeManagerError('INVALID_INPUT', `The agent did not ask "${stray}"; it asks ${asked}.`);
  const out: Record<string, string> = {};
  for (const q of questions) {
    const value = given[q.question];
    const parts = (typeof value === 'string' ? [value] : Array.isArray(value) ? value : []).map((v) => (typeof v === 'string' ? v.trim() : ''));
    if (parts.length === 0 || parts.some((p) => !p)) throw new ClaudeManagerError('INVALID_INPUT', `No answer to "${q.question}": choose ${q.options.map((o) => `"${o.label}"`).join(' or ')}, or give your own.`);
    if (parts.length > 1 && !q.multiSelect) throw new ClaudeManagerError('INVALID_INPUT', `"${q.question}" takes one answer, not ${parts.length}.`);
    const text = parts.join(', ');
    if (text.length > MAX_ANSWER) throw new ClaudeManagerError('INVALID_INPUT', `The answer to "${q.question}" is longer than ${MAX_ANSWER} characters.`);
    out[q.question] = text;
  }
  return out;
}

const WHERE: Record<string, string> = {
  session: 'for this session',
  localSettings: 'in this project (your local settings)',
  projectSettings: 'in this project (shared settings)',
  userSettings: 'in every project (your user settings)',
};

function rulesText(rules: unknown): string | undefined {
  if (!Array.isArray(rules)) return undefined;
  const parts = rules.flatMap((r) => {
    const rule = r as { toolName?: unknown; ruleContent?: unknown };
    if (typeof rule?.toolName !== 'string') return [];
    return [typeof rule.ruleContent === 'string' && rule.ruleContent ? `${rule.toolName}(${rule.ruleContent})` : rule.toolName];
  });
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * One of the CLI's `permission_suggestions` in words, as its own prompt words them ("Yes, and
 * don't ask again for …"); undefined for a kind it does not describe (then it is not offered).
 */
export function describeSuggestion(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const s = value as { type?: unknown; rules?: unknown; behavior?: unknown; destination?: unknown; mode?: unknown; directories?: unknown };
  const where = typeof s.destination === 'string' ? (WHERE[s.destination] ?? `(${s.destination})`) : '';
  const tail = where ? ` ${where}` : '';
  if ((s.type === 'addRules' || s.type === 'replaceRules') && s.behavior === 'allow') {
    const rules = rulesText(s.rules);
    return rules ? `Yes, and don't ask again for ${rules}${tail}` : undefined;
  }
  if (s.type === 'setMode' && s.mode === 'acceptEdits') return `Yes, and allow all edits${tail}`;
  if (s.type === 'setMode' && typeof s.mode === 'string') return `Yes, and switch to ${s.mode} mode${tail}`;
  if (s.type === 'addDirectories' && Array.isArray(s.directories) && s.directories.every((d) => typeof d === 'string') && s.directories.length) {
    return `Yes, and always allow access to ${(s.directories as string[]).join(', ')}${tail}`;
  }
  return undefined;
}

/** The `control_response` body for an answer (`input`, as the CLI sent it, is echoed as it expects). */
export function permissionResponse(request: PermissionRequest, answer: PermissionAnswer, input: Record<string, unknown> = request.input): Record<string, unknown> {
  if (answer.behavior === 'deny') return { behavior: 'deny', message: answer.message?.trim() || (request.questions ? 'The user chose not to answer.' : 'The user denied this.') };
  if (request.questions) {
    if (answer.suggestion !== undefined || answer.always) throw new ClaudeManagerError('INVALID_INPUT', 'A question is answered, not allowed for good: give answers.');
    return { behavior: 'allow', updatedInput: { ...input, answers: answersFor(request.questions, answer.answers) } };
  }
  if (answer.answers !== undefined) throw new ClaudeManagerError('INVALID_INPUT', `The request for ${request.summary} asks no question: allow or deny it.`);
  if (answer.suggestion !== undefined) {
    const chosen = request.suggestions?.[answer.suggestion];
    if (!chosen) {
      throw new ClaudeManagerError('INVALID_INPUT', `The request for ${request.summary} offers ${request.suggestions?.length ?? 0} "don't ask again" choices; there is no choice ${answer.suggestion}.`);
    }
    return { behavior: 'allow', updatedInput: input, updatedPermissions: [chosen.value] };
  }
  return {
    behavior: 'allow',
    updatedInput: input,
    ...(answer.always ? { updatedPermissions: [{ type: 'addRules', rules: [{ toolName: request.toolName }], behavior: 'allow', destination: 'session' }] } : {}),
  };
}
