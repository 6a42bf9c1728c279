import { isAbsolute, relative } from 'node:path';

function oneLine(text: string, max = 80): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "Write src/a.ts", "Bash: npm test": what a tool call does, in one line, paths relative to the worktree. */
export function summarizeTool(toolName: string, input: Record<string, unknown> | undefined, cwd?: string): string {
  const str = (key: string): string | undefined => (typeof input?.[key] === 'string' ? (input[key] as string) : undefined);
  const path = (p: string | undefined) => (p && cwd && isAbsolute(p) && !relative(cwd, p).startsWith('..') ? relative(cwd, p) || p : p);
  switch (toolName) {
    case 'Bash':
      return str('command') ? `Bash: ${oneLine(str('command')!)}` : 'Bash';
    case 'Read':
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      return str('file_path') ? `${toolName} ${path(str('file_path'))}` : toolName;
    case 'NotebookEdit':
      return str('notebook_path') ? `${toolName} ${path(str('notebook_path'))}` : toolName;
    case 'Glob':
    case 'Grep':
      return str('pattern') ? `${toolName} ${oneLine(str('pattern')!, 60)}` : toolName;
    case 'WebFetch':
      return str('url') ? `WebFetch ${str('url')}` : toolName;
    case 'WebSearch':
      return str('query') ? `WebSearch ${oneLine(str('query')!, 60)}` : toolName;
    case 'Task':
    case 'Agent':
      return str('description') ? `${toolName}: ${oneLine(str('description')!, 60)}` : toolName;
    case 'TodoWrite': {
      const todos = Array.isArray(input?.todos) ? (input.todos as unknown[]) : undefined;
      const done = todos?.filter((t) => (t as { status?: unknown } | null)?.status === 'completed').length;
      return todos ? `TodoWrite: ${done}/${todos.length} done` : toolName;
    }
    case 'TaskCreate':
      return str('subject') ? `TaskCreate: ${oneLine(str('subject')!, 60)}` : toolName;
    case 'TaskUpdate': {
      const id = str('taskId') ?? (typeof input?.taskId === 'number' ? String(input.taskId) : undefined);
      return id ? `TaskUpdate #${id}${str('status') ? `: ${str('status')!.replace('_', ' ')}` : ''}` : toolName;
    }
    case 'ExitPlanMode':
      return 'present the plan';
    case 'AskUserQuestion': {
      const first = Array.isArray(input?.questions) ? (input.questions[0] as { question?: unknown } | undefined)?.question : undefined;
      return typeof first === 'string' && first.trim() ? `ask: ${oneLine(first)}` : toolName;
    }
    default:
      return toolName;
  }
}
