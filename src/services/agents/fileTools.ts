/** The tools whose file changes are kept, before and after, for "Open Diff" (no imports: the extension's first bundle uses it). */
export const FILE_TOOLS: ReadonlySet<string> = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit']);
