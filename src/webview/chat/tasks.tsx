import { useState } from 'preact/hooks';
import type { ChatTask } from '../protocol';

const MARK: Record<ChatTask['status'], string> = { completed: '✓', in_progress: '▸', pending: '○' };
const SAID: Record<ChatTask['status'], string> = { completed: 'done', in_progress: 'under way', pending: 'to do' };

/** How far the list is: done of all, and the task under way (the first in progress). */
export function progressOf(tasks: readonly ChatTask[]): { done: number; total: number; current: ChatTask | undefined } {
  return { done: tasks.filter((t) => t.status === 'completed').length, total: tasks.length, current: tasks.find((t) => t.status === 'in_progress') };
}

/**
 * The agent's task list, pinned above the conversation: how many are done, what it is doing now
 * (the task under way, in its own words: "Running the tests"), and each task with its status.
 * Folded with its title; open at first while tasks remain, folded once all are done.
 */
export function TaskChecklist({ tasks, open: openAtFirst }: { tasks: readonly ChatTask[] | undefined; open?: boolean }) {
  const [chosen, setChosen] = useState<boolean | undefined>(openAtFirst);
  if (!tasks?.length) return null;
  const { done, total, current } = progressOf(tasks);
  const open = chosen ?? done < total;
  return (
    <section class="task-list" aria-label="Tasks" data-testid="task-list">
      <button type="button" class="task-head" aria-expanded={open} onClick={() => setChosen(!open)}>
        <span class="twisty" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        <strong>Tasks</strong>
        <span class="task-count" aria-label={`${done} of ${total} done`}>
          {done}/{total}
        </span>
        {current && (
          <span class="task-current" data-testid="task-current">
            {current.activeForm ?? current.content}
          </span>
        )}
      </button>
      {open && (
        <ul class="task-items">
          {tasks.map((t) => (
            <li class={`task ${t.status}`} key={t.id ?? t.content}>
              <span class="task-mark" aria-hidden="true">
                {MARK[t.status]}
              </span>
              <span class="task-text">{t.content}</span>
              <span class="task-said">, {SAID[t.status]}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
