import { type TaskItem, type TaskStatus, taskStatuses } from '../storage/records';

/**
 * An agent's task list, from its tool calls: TodoWrite sends the whole list each time (the latest
 * replaces it); TaskCreate adds a task under the id the CLI gives it (in the call's result), and
 * TaskUpdate changes one by that id (its status, its words, or "deleted"); TaskList's result is the
 * list as the CLI holds it. A call changes the list only once its result says it succeeded, so the
 * list is what the CLI has, never what the model only asked for.
 */

/** The tools whose calls change the task list. */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['TodoWrite', 'TaskCreate', 'TaskUpdate', 'TaskList']);

/** A task tool's call with its result. */
export interface TaskCall {
  toolName: string;
  input: Record<string, unknown> | undefined;
  /** The result's text. */
  output: string;
  /** The result as data (the CLI's `tool_use_result`), when the line carried one for this call alone. */
  result?: unknown;
}

const STATUSES: ReadonlySet<string> = new Set(taskStatuses);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const status = (v: unknown): TaskStatus | undefined => (typeof v === 'string' && STATUSES.has(v) ? (v as TaskStatus) : undefined);

function item(fields: { id?: string | undefined; content: string; status: TaskStatus; activeForm?: string | undefined }): TaskItem {
  return { ...(fields.id !== undefined ? { id: fields.id } : {}), content: fields.content, status: fields.status, ...(fields.activeForm !== undefined ? { activeForm: fields.activeForm } : {}) };
}

/** TodoWrite's list: its `todos`, each with what to do (an item without it is left out). */
function todoWriteList(input: Record<string, unknown> | undefined): TaskItem[] | undefined {
  const todos = input?.todos;
  if (!Array.isArray(todos)) return undefined;
  return todos.flatMap((t) => {
    const content = isObject(t) ? text(t.content) : undefined;
    return content && isObject(t) ? [item({ content, status: status(t.status) ?? 'pending', activeForm: text(t.activeForm) })] : [];
  });
}

/** The id TaskCreate's result gives the new task: its data (`task.id`), else its words ("Task #3 created successfully: …"). */
function createdId(call: TaskCall): string | undefined {
  const task = isObject(call.result) ? call.result.task : undefined;
  if (isObject(task) && (typeof task.id === 'string' || typeof task.id === 'number')) return String(task.id);
  return /^Task #(\S+) created/.exec(call.output)?.[1];
}

/**
 * The list after a task tool's call that succeeded; undefined when the call leaves it as it was
 * (another tool, an input or result of another shape, a task this list does not hold).
 */
export function applyTaskCall(list: readonly TaskItem[], call: TaskCall): TaskItem[] | undefined {
  const input = call.input;
  switch (call.toolName) {
    case 'TodoWrite':
      return todoWriteList(input);
    case 'TaskCreate': {
      const content = text(input?.subject);
      const id = createdId(call);
      if (!content || id === undefined || list.some((t) => t.id === id)) return undefined;
      return [...list, item({ id, content, status: 'pending', activeForm: text(input?.activeForm) })];
    }
    case 'TaskUpdate': {
      const id = typeof input?.taskId === 'string' || typeof input?.taskId === 'number' ? String(input.taskId) : undefined;
      const at = list.findIndex((t) => t.id === id);
      if (at < 0) return undefined;
      if (input?.status === 'deleted') return list.filter((_, i) => i !== at);
      const was = list[at]!;
      const next = item({ id, content: text(input?.subject) ?? was.content, status: status(input?.status) ?? was.status, activeForm: text(input?.activeForm) ?? was.activeForm });
      return list.map((t, i) => (i === at ? next : t));
    }
    case 'TaskList': {
      // The list as the CLI holds it: what the calls seen here missed (tasks made before) comes in; words kept where known.
      const tasks = isObject(call.result) ? call.result.tasks : undefined;
      if (!Array.isArray(tasks)) return undefined;
      const known = new Map(list.flatMap((t) => (t.id !== undefined ? [[t.id, t] as const] : [])));
      return tasks.flatMap((t) => {
        if (!isObject(t) || (typeof t.id !== 'string' && typeof t.id !== 'number')) return [];
        const id = String(t.id);
        const content = text(t.subject) ?? known.get(id)?.content;
        return content ? [item({ id, content, status: status(t.status) ?? known.get(id)?.status ?? 'pending', activeForm: known.get(id)?.activeForm })] : [];
      });
    }
    default:
      return undefined;
  }
}

/** Whether two lists say the same. */
export function sameTasks(a: readonly TaskItem[], b: readonly TaskItem[]): boolean {
  return a.length === b.length && a.every((t, i) => JSON.stringify(t) === JSON.stringify(b[i]));
}

/** How far a task list is: done of total, and the task under way (the first in progress); undefined without a list. */
export function taskProgress(tasks: readonly TaskItem[] | undefined): { done: number; total: number; current?: TaskItem } | undefined {
  if (!tasks?.length) return undefined;
  const current = tasks.find((t) => t.status === 'in_progress');
  return { done: tasks.filter((t) => t.status === 'completed').length, total: tasks.length, ...(current ? { current } : {}) };
}

/** "3/7": the tasks done of all, as the tree's row shows it; "" without a list. */
export function progressLabel(tasks: readonly TaskItem[] | undefined): string {
  const p = taskProgress(tasks);
  return p ? `${p.done}/${p.total}` : '';
}

/** What the task under way says while it runs ("Running the tests"), else its words. */
export function activeText(task: TaskItem): string {
  return task.activeForm ?? task.content;
}
